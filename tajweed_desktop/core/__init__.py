"""The Qt-free core that the app, the checker and the trainer share, in rooms by job (lower rooms
never import higher ones; `lint-imports` keeps it so):

    checking/  many files, one long recording in chunks, the result rows      (the top)
    quran/     the text, its noon sakinah / tanween sites, rule names, practice
    model/     the speech front end, the fold heads, bundles and their card, the ensemble
    audio/     decode, resample, speech detection, levels, clips and windows
    common/    errors, atomic writes, hashing, threads, memory                   (the floor)

A clip's path: audio.recording.load_recording (decode -> levels) -> audio.clips.model_clip ->
model.frontend (log-mel, encoder) -> model.onnx_heads (fold heads) -> model.ensemble (verdict).
"""

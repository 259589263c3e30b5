"""`python -m tajweed_desktop [FILE|FOLDER]` starts the app; `... check ARGS` is `tajweed-check ARGS`
(so a frozen one-folder build, which has one executable, can also check files headless)."""

import sys


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "check":
        from .cli import main as check

        return check(sys.argv[2:])
    from .app.main import main as app

    return app()


if __name__ == "__main__":
    sys.exit(main())

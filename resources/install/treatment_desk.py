"""The bundle's program: what `desk-app` does. PyInstaller starts a script, not a package's
__main__ (whose folder it would put first on the import path, beside modules named like others)."""

from desk_app.launch import main

raise SystemExit(main())

"""`python -m desk_app` does what the `desk-app` command does."""

from desk_app.launch import main

raise SystemExit(main())

from acrtui.cli import main

raise SystemExit(main())

from ruv_swarm_mcp._cli import main

raise SystemExit(main())

from mlgov_cli.main import main

main()

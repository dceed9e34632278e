from lettergen.cli import main

main()

from sejajar.cli import main

main()

from marketloop.cli import main

main()

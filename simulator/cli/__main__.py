"""`python -m simulator.cli` runs the chaosdrill command line."""

from simulator.cli.main import main

main()

from coulisse.platform.service import main

from .bootstrap import definition

main(definition)

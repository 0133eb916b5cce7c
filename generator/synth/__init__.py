"""Building blocks of the synthetic demo province (see generator/demo.py); all of it is fake."""

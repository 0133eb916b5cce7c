"""The synthetic demo province (province.py) and its building blocks; all of it is fake."""

"""The demo data set: the board's 2011-12 programme and a live programme around today."""

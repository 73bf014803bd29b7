"""taylorann trainer: structures, neighbours, descriptors, models and training.

``python -m trainer`` is the training command line (see ``trainer.cli``).
"""

__version__ = "0.1.0"

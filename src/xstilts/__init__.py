"""xstilts: English intermediate-task training and zero-shot cross-lingual transfer, as a grid."""

__version__ = "0.1.0"

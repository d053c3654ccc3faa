"""neural: numba-compiled feed-forward networks (FANN's algorithms, faster).

Depends on numpy and numba only and imports nothing else of this project.
"""

__all__: list[str] = []

"""Analysis: reference energies, phase stability and interface screening."""

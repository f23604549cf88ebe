"""Launch: the sweep directory, launchers (debug, local, slurm through submitit), resume and status."""

#!/bin/bash
# GradLab: the merge of the sweep's shards, `gradlab compare ... --merge`, once the array has ended well.
# Written by `gradlab compare --slurm 8`, which submits array.sh and then merge.sh with
# --dependency=afterok:ARRAY_JOB_ID when given --submit. The output goes to a log beside this file.
#SBATCH --job-name=gradlab-merge
#SBATCH --output=/dev/null
#SBATCH --partition=cpu
#SBATCH --time=2:00:00
set -eu
exec >'/shared/sweep/slurm/''merge-'"${SLURM_JOB_ID}"'.log' 2>&1
cd '/home/ada/sweeps'
exec '/opt/gradlab/bin/gradlab' compare 'sweep.yaml' '--out' '/shared/sweep' '--merge'

#!/bin/bash
# GradLab: one shard of the sweep per task of a job array, task I running `gradlab compare ... --shard I/8`.
# Written by `gradlab compare --slurm 8`, which submits array.sh and then merge.sh with
# --dependency=afterok:ARRAY_JOB_ID when given --submit. The output goes to a log beside this file.
#SBATCH --job-name=gradlab-shards
#SBATCH --array=1-8
#SBATCH --cpus-per-task=4
#SBATCH --output=/dev/null
#SBATCH --partition=cpu
#SBATCH --time=2:00:00
set -eu
exec >'/shared/sweep/slurm/''shard-'"${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"'.log' 2>&1
cd '/home/ada/sweeps'
exec '/opt/gradlab/bin/gradlab' compare 'sweep.yaml' '--out' '/shared/sweep' '--jobs' '4' '--shard' "${SLURM_ARRAY_TASK_ID}/8"

# Sourced by the launchers: keeps the CPU math libraries from choosing their thread counts by
# themselves, so that a result cannot depend on how busy the machine is. The main fix for
# "same seed, other loss on a busy machine" is in the code: weights and matrix constants live in
# libtorch's 64-byte-aligned memory (ablate.trainer.run.Torch#owned), because MKL's kernels take
# alignment-dependent paths and memory made from Java arrays is aligned differently from run to
# run. These settings only rule out the remaining knobs (README "Determinism"):
#  - OMP_DYNAMIC=FALSE: an OpenMP runtime with dynamic teams may start fewer threads than asked
#    when the load average is high (GNU libgomp consults it), and libtorch splits reductions by
#    the team size. libgomp's default is already false; this keeps a user's environment from
#    turning it on.
#  - MKL_DYNAMIC=FALSE: MKL may otherwise use fewer threads than asked.
# MKL_CBWR is not set: with aligned inputs MKL is reproducible for a fixed thread count, and its
# COMPATIBLE mode (SSE2 kernels) made training several times slower here.
export OMP_DYNAMIC=${OMP_DYNAMIC:-FALSE}
export MKL_DYNAMIC=${MKL_DYNAMIC:-FALSE}

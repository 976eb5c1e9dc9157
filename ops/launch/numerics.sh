# Sourced by the launchers: pins the CPU math libraries so that a result does not depend on how
# busy the machine is. See README "Determinism" and ThreadsUnderLoadTest.
#  - OMP_DYNAMIC=FALSE: an OpenMP runtime with dynamic teams may start fewer threads than asked
#    when the load average is high (GNU libgomp consults it), and libtorch splits its reductions
#    by the team size, so a loaded machine would sum in another order.
#  - MKL_DYNAMIC=FALSE: MKL may likewise use fewer threads than asked.
#  - MKL_CBWR=COMPATIBLE: MKL's conditional numerical reproducibility; without it MKL may pick
#    other kernels (with other summation orders) by data alignment and code path at run time.
#  - OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep instead of spinning, so several trainer
#    JVMs (or other jobs) on one host do not starve each other; it does not change results.
export OMP_DYNAMIC=${OMP_DYNAMIC:-FALSE}
export MKL_DYNAMIC=${MKL_DYNAMIC:-FALSE}
export MKL_CBWR=${MKL_CBWR:-COMPATIBLE}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}

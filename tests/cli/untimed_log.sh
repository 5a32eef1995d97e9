# Sourced by the CLI and Slurm tests: a log.csv without its timing columns
# (steps_per_s, wall_s and the t_*_s seconds), which differ between identical
# runs; the columns are picked by name, so added columns are compared too.
untimed() {
  awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) keep[i] = ($i !~ /^(steps_per_s|wall_s|t_.*_s)$/) }
           { line = ""; for (i = 1; i <= NF; ++i) if (keep[i]) line = line $i ","; print line }' "$1"
}
# Whether two logs agree apart from their timing columns.
same_untimed_log() { diff <(untimed "$1") <(untimed "$2") > /dev/null; }

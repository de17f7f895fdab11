package image

import "syscall"

type syscallStat = syscall.Stat_t

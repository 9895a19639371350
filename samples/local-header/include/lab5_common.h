/* Lab 5: what the three exercises share. */
#ifndef LAB5_COMMON_H
#define LAB5_COMMON_H

#include <linux/ktime.h>
#include <linux/types.h>

#define LAB5_DEFAULT_OBJNUM 2000
#define LAB5_CPU 1

struct lab5_obj
{
  u32 words[8];
};

static inline s64 lab5_elapsed_ns(ktime_t since)
{
  return ktime_to_ns(ktime_sub(ktime_get(), since));
}

#endif

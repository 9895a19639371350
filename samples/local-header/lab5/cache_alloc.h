#ifndef CACHE_ALLOC_H
#define CACHE_ALLOC_H

#include "../include/lab5_common.h"

#define CA_NAME "cache_alloc"
#define CA_CACHE "lab5_objs"

static int ca_thread(void* arg);

#endif

#ifndef KMEM_ALLOC_H
#define KMEM_ALLOC_H

#include "../include/lab5_common.h"

#define KA_NAME "kmem_alloc"

static int ka_thread(void* arg);

#endif

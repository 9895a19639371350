#ifndef PAGE_ALLOC_H
#define PAGE_ALLOC_H

#include "../include/lab5_common.h"

#define PA_NAME "page_alloc"

static int pa_thread(void* arg);
static unsigned int pa_order_for(unsigned int objects);

#endif

#pragma once

#include "evaluate/registry.h"

// Lab 5's own checks, the ones its file cannot say with kmgrade's common checks: the page
// order, the free and the leak of page_alloc, the loops of kmem_alloc and cache_alloc, the
// cache's life, the approach, the struct size. They read the lab's parameter objnum and its
// facts struct_size and max_order.
namespace kmgrade::labs::lab5 {

// The checks by name, for lab files that say "lab_checks": "lab5".
const evaluate::CheckTable& checks();

// The page order the lab asks for: ceil(log2(ceil(objnum / (page_size / struct_size)))).
unsigned expected_order(unsigned objnum, long page_size, unsigned struct_size);

} // namespace kmgrade::labs::lab5

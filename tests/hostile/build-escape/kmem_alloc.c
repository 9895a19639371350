/*
 * Lab 5 - Exercise 4: kmem_alloc
 *
 * Hostile: includes itself twice at every level, so the preprocessor has 2^200
 * files to read and never finishes; only the build's limits stop it.
 */
#include __FILE__
#include __FILE__

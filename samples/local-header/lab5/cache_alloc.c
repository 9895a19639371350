/* Exercise 5: objnum allocations from a slab cache of our own. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/sched.h>

#include "cache_alloc.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lab 5 slab cache loop, declarations in a header");

static unsigned int objnum = LAB5_DEFAULT_OBJNUM;
module_param(objnum, uint, 0444);

static struct kmem_cache *ca_cache;
static struct task_struct *ca_task;

static int ca_thread(void *arg)
{
	struct lab5_obj *obj;
	unsigned int n;
	ktime_t start;

	pr_info(CA_NAME ": objnum=%u\n", objnum);
	pr_info(CA_NAME ": sizeof(struct lab5_obj)=%zu\n", sizeof(struct lab5_obj));
	start = ktime_get();
	for (n = 0; n < objnum; n++) {
		obj = kmem_cache_alloc(ca_cache, GFP_KERNEL);
		if (!obj)
			break;
		kmem_cache_free(ca_cache, obj);
	}
	pr_info(CA_NAME ": %u objects took %lld ns\n", n, lab5_elapsed_ns(start));

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static int __init ca_init(void)
{
	ca_cache = kmem_cache_create(CA_CACHE, sizeof(struct lab5_obj), 0, 0, NULL);
	if (!ca_cache)
		return -ENOMEM;
	ca_task = kthread_create(ca_thread, NULL, CA_NAME);
	if (IS_ERR(ca_task)) {
		kmem_cache_destroy(ca_cache);
		return PTR_ERR(ca_task);
	}
	kthread_bind(ca_task, LAB5_CPU);
	wake_up_process(ca_task);
	return 0;
}

static void __exit ca_exit(void)
{
	kthread_stop(ca_task);
	kmem_cache_destroy(ca_cache);
}

module_init(ca_init);
module_exit(ca_exit);

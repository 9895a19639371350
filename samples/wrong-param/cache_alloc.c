/*
 * cache_alloc.c
 * Lab 5 - kernel memory management, slab allocation.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/math64.h>
#include <linux/timekeeping.h>

static int num = 2000;
module_param(num, int, 0644);
MODULE_PARM_DESC(num, "how many objects");

typedef struct {
	unsigned int nums[8];
} my_obj;

static struct kmem_cache *my_cache;
static struct task_struct *my_thread;

static int my_thread_fn(void *data)
{
	my_obj *obj;
	int i;
	u64 start, ns;
	u32 rem;

	pr_info("cache_alloc thread: num = %d\n", num);
	pr_info("cache_alloc thread: sizeof(my_obj) = %zu bytes\n", sizeof(my_obj));

	start = ktime_get_ns();
	for (i = 0; i < num; i++) {
		obj = kmem_cache_alloc(my_cache, GFP_KERNEL);
		if (!obj) {
			pr_err("cache_alloc thread: kmem_cache_alloc failed\n");
			break;
		}
		kmem_cache_free(my_cache, obj);
	}
	ns = ktime_get_ns() - start;

	ns = div_u64_rem(ns, 1000, &rem);
	pr_info("cache_alloc thread: took %llu.%03u us\n", ns, rem);

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop())
			break;
		schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init my_init(void)
{
	my_cache = kmem_cache_create("lab5_cache", sizeof(my_obj), 0, 0, NULL);
	if (!my_cache)
		return -ENOMEM;

	my_thread = kthread_run_on_cpu(my_thread_fn, NULL, 0, "cache_alloc/%u");
	if (IS_ERR(my_thread)) {
		kmem_cache_destroy(my_cache);
		return PTR_ERR(my_thread);
	}
	return 0;
}

static void __exit my_exit(void)
{
	kthread_stop(my_thread);
	kmem_cache_destroy(my_cache);
}

module_init(my_init);
module_exit(my_exit);
MODULE_LICENSE("GPL");

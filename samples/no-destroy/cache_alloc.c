/* cache_alloc.c: lab 5 exercise 5
 * one pinned kernel thread, kmem_cache_alloc + kmem_cache_free of one
 * struct from our own slab cache, objnum times, and prints the time it took.
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/cpumask.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);
MODULE_PARM_DESC(objnum, "number of structs");

struct block {
	unsigned int v[8];
};

static struct task_struct *tsk;
static struct kmem_cache *block_cache;

static int thread_main(void *unused)
{
	struct block *b;
	unsigned int k;
	u64 begin, elapsed;

	pr_info("cache_alloc: objnum set to %u\n", objnum);
	pr_info("cache_alloc: struct block takes %zu bytes\n", sizeof(struct block));

	begin = ktime_get_ns();
	for (k = 0; k < objnum; k++) {
		b = kmem_cache_alloc(block_cache, GFP_KERNEL);
		if (!b) {
			pr_warn("cache_alloc: kmem_cache_alloc returned NULL\n");
			break;
		}
		kmem_cache_free(block_cache, b);
	}
	elapsed = ktime_get_ns() - begin;

	pr_info("cache_alloc: alloc+free of %u structs took %llu ns\n", k, elapsed);

	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init cache_alloc_start(void)
{
	block_cache = kmem_cache_create("lab5_cache", sizeof(struct block),
					0, 0, NULL);
	if (!block_cache)
		return -ENOMEM;

	tsk = kthread_create(thread_main, NULL, "cache_alloc_kt");
	if (IS_ERR(tsk))
		return PTR_ERR(tsk);
	kthread_bind(tsk, cpumask_first(cpu_online_mask));
	wake_up_process(tsk);
	return 0;
}

static void __exit cache_alloc_end(void)
{
	kthread_stop(tsk);
}

module_init(cache_alloc_start);
module_exit(cache_alloc_end);
MODULE_LICENSE("GPL");

/* kmem_alloc.c: lab 5 exercise 4
 * one pinned kernel thread, kmalloc + kfree of one struct, objnum times,
 * and prints the time it took.
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

static int thread_main(void *unused)
{
	struct block *b;
	unsigned int k;
	u64 begin, elapsed;

	pr_info("kmem_alloc: objnum set to %u\n", objnum);
	pr_info("kmem_alloc: struct block takes %zu bytes\n", sizeof(struct block));

	begin = ktime_get_ns();
	for (k = 0; k < objnum; k++) {
		b = kmalloc(sizeof(*b), GFP_KERNEL);
		if (!b) {
			pr_warn("kmem_alloc: kmalloc returned NULL\n");
			break;
		}
		kfree(b);
	}
	elapsed = ktime_get_ns() - begin;

	pr_info("kmem_alloc: alloc+free of %u structs took %llu ns\n", k, elapsed);

	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int __init kmem_alloc_start(void)
{
	tsk = kthread_create(thread_main, NULL, "kmem_alloc_kt");
	if (IS_ERR(tsk))
		return PTR_ERR(tsk);
	kthread_bind(tsk, cpumask_first(cpu_online_mask));
	wake_up_process(tsk);
	return 0;
}

static void __exit kmem_alloc_end(void)
{
	kthread_stop(tsk);
}

module_init(kmem_alloc_start);
module_exit(kmem_alloc_end);
MODULE_LICENSE("GPL");

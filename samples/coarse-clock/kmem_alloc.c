// SPDX-License-Identifier: GPL-2.0
/* Lab 5: kmem_alloc - measure objnum kmalloc/kfree pairs from a pinned kthread */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

struct elem {
	unsigned int n[8];
};

static struct task_struct *worker;

static int worker_fn(void *arg)
{
	unsigned long start;
	struct elem *e;
	unsigned int i;

	pr_info("kmem_alloc: objnum = %u\n", objnum);
	pr_info("kmem_alloc: struct is %zu bytes\n", sizeof(struct elem));

	start = jiffies;
	for (i = 0; i < objnum; i++) {
		e = kmalloc(sizeof(*e), GFP_KERNEL);
		if (!e)
			break;
		kfree(e);
	}
	pr_info("kmem_alloc: %u objects took %u us\n", i,
		jiffies_to_usecs(jiffies - start));

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (kthread_should_stop()) {
			__set_current_state(TASK_RUNNING);
			break;
		}
		schedule();
	}
	return 0;
}

static int __init kmem_alloc_load(void)
{
	worker = kthread_create_on_cpu(worker_fn, NULL, 0, "kmem_alloc/%u");
	if (IS_ERR(worker))
		return PTR_ERR(worker);
	wake_up_process(worker);
	return 0;
}

static void __exit kmem_alloc_unload(void)
{
	kthread_stop(worker);
}

module_init(kmem_alloc_load);
module_exit(kmem_alloc_unload);
MODULE_LICENSE("GPL");

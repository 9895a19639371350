/* Exercise 4: objnum kmalloc/kfree pairs of one struct each. */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/slab.h>
#include <linux/sched.h>

#include "kmem_alloc.h"

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Lab 5 kmalloc loop, declarations in a header");

static unsigned int objnum = LAB5_DEFAULT_OBJNUM;
module_param(objnum, uint, 0444);

static struct task_struct *ka_task;

static int ka_thread(void *arg)
{
	struct lab5_obj *obj;
	unsigned int n;
	ktime_t start;

	pr_info(KA_NAME ": objnum=%u\n", objnum);
	pr_info(KA_NAME ": sizeof(struct lab5_obj)=%zu\n", sizeof(struct lab5_obj));
	start = ktime_get();
	for (n = 0; n < objnum; n++) {
		obj = kmalloc(sizeof(*obj), GFP_KERNEL);
		if (!obj)
			break;
		kfree(obj);
	}
	pr_info(KA_NAME ": %u objects took %lld ns\n", n, lab5_elapsed_ns(start));

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
		__set_current_state(TASK_RUNNING);
	}
	return 0;
}

static int __init ka_init(void)
{
	ka_task = kthread_create(ka_thread, NULL, KA_NAME);
	if (IS_ERR(ka_task))
		return PTR_ERR(ka_task);
	kthread_bind(ka_task, LAB5_CPU);
	wake_up_process(ka_task);
	return 0;
}

static void __exit ka_exit(void)
{
	kthread_stop(ka_task);
}

module_init(ka_init);
module_exit(ka_exit);

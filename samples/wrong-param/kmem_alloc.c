/*
 * kmem_alloc.c
 * Lab 5 - kernel memory management, kmalloc.
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

static struct task_struct *my_thread;

static int my_thread_fn(void *data)
{
	my_obj *obj;
	int i;
	u64 start, ns;
	u32 rem;

	pr_info("kmem_alloc thread: num = %d\n", num);
	pr_info("kmem_alloc thread: sizeof(my_obj) = %zu bytes\n", sizeof(my_obj));

	start = ktime_get_ns();
	for (i = 0; i < num; i++) {
		obj = kmalloc(sizeof(my_obj), GFP_KERNEL);
		if (!obj) {
			pr_err("kmem_alloc thread: kmalloc failed\n");
			break;
		}
		kfree(obj);
	}
	ns = ktime_get_ns() - start;

	ns = div_u64_rem(ns, 1000, &rem);
	pr_info("kmem_alloc thread: took %llu.%03u us\n", ns, rem);

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
	my_thread = kthread_run_on_cpu(my_thread_fn, NULL, 0, "kmem_alloc/%u");
	if (IS_ERR(my_thread))
		return PTR_ERR(my_thread);
	return 0;
}

static void __exit my_exit(void)
{
	kthread_stop(my_thread);
}

module_init(my_init);
module_exit(my_exit);
MODULE_LICENSE("GPL");

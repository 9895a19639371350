/*
 * Lab 5 - Exercise 4: kmem_alloc
 * Same as page_alloc but allocates every object separately with kmalloc
 * and frees it right away with kfree.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/slab.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Team 7");
MODULE_DESCRIPTION("kmalloc allocation");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);
MODULE_PARM_DESC(objnum, "number of objects to allocate (default 2000)");

struct my_struct {
	unsigned int arr[8];
};

static struct task_struct *worker;
static DECLARE_COMPLETION(worker_done);

static int worker_fn(void *unused)
{
	struct my_struct *p;
	unsigned int i;
	ktime_t t0, t1;

	printk(KERN_INFO "kmem_alloc: struct size: %zu bytes\n",
	       sizeof(struct my_struct));

	t0 = ktime_get();
	for (i = 0; i < objnum; i++) {
		p = kmalloc(sizeof(struct my_struct), GFP_KERNEL);
		if (!p) {
			printk(KERN_ERR "kmem_alloc: kmalloc failed at %u\n", i);
			break;
		}
		kfree(p);
	}
	t1 = ktime_get();

	printk(KERN_INFO "kmem_alloc: elapsed: %lld ns\n",
	       ktime_to_ns(ktime_sub(t1, t0)));

	kthread_complete_and_exit(&worker_done, 0);
}

static int __init km_init(void)
{
	printk(KERN_INFO "kmem_alloc: loading, number of objects: %u\n", objnum);
	worker = kthread_create_on_cpu(worker_fn, NULL, 0, "kmem_alloc/%u");
	if (IS_ERR(worker)) {
		printk(KERN_ERR "kmem_alloc: could not create thread\n");
		return PTR_ERR(worker);
	}
	wake_up_process(worker);
	return 0;
}

static void __exit km_exit(void)
{
	wait_for_completion(&worker_done);
	printk(KERN_INFO "kmem_alloc: unloaded\n");
}

module_init(km_init);
module_exit(km_exit);

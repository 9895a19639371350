// Lab 5, exercise 4 (K. Booth)
// The same thread, but each item is its own kmalloc, freed at once.

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kthread.h>
#include <linux/wait.h>
#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ktime.h>

static uint objnum = 2000;
module_param(objnum, uint, 0400);

struct booth_item {
	unsigned int v[8];
};

static DECLARE_WAIT_QUEUE_HEAD(idle_q);
static struct task_struct *th;

static int measure(void *ignored)
{
	uint left;
	ktime_t began;
	s64 spent;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	printk(KERN_INFO "booth kmem_alloc: objnum=%u\n", objnum);
	printk(KERN_INFO "booth kmem_alloc: sizeof item=%d bytes\n", (int)sizeof(struct booth_item));

	began = ktime_get();
	for (left = objnum; left > 0; --left) {
		void *it = kmalloc(sizeof(struct booth_item), GFP_KERNEL);
		if (!it) {
			printk(KERN_ERR "booth kmem_alloc: out of memory, %u left\n", left);
			break;
		}
		kfree(it);
	}
	spent = ktime_to_ns(ktime_sub(ktime_get(), began));
	printk(KERN_INFO "booth kmem_alloc: %u kmalloc+kfree took %lld ns\n", objnum - left, spent);

	wait_event_interruptible(idle_q, kthread_should_stop());
	return 0;
}

static int __init booth_init(void)
{
	th = kthread_run(measure, NULL, "booth_kmem");
	return IS_ERR(th) ? PTR_ERR(th) : 0;
}

static void __exit booth_exit(void)
{
	kthread_stop(th);
}

module_init(booth_init);
module_exit(booth_exit);
MODULE_LICENSE("Dual BSD/GPL");

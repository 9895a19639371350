/* Lab five, part five (D. Ritchie) */


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

struct payload {
	unsigned int v[8];
};

static DECLARE_WAIT_QUEUE_HEAD(park_q);
static struct task_struct *kt;
static struct kmem_cache *slab;

static int worker_body(void *arg)
{
	uint remaining;
	ktime_t t_start;
	s64 delta;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	printk(KERN_INFO "lab5 cache_alloc: objnum=%u\n", objnum);
	printk(KERN_INFO "lab5 cache_alloc: sizeof item=%d bytes\n", (int)sizeof(struct payload));

	t_start = ktime_get();
	remaining = objnum;
	while (remaining > 0) {
		void *obj = kmem_cache_alloc(slab, GFP_KERNEL);
		if (!obj) {
			printk(KERN_ERR "lab5 cache_alloc: out of memory, %u remaining\n", remaining);
			break;
		}
		kmem_cache_free(slab, obj);
		remaining--;
	}
	delta = ktime_to_ns(ktime_sub(ktime_get(), t_start));
	printk(KERN_INFO "lab5 cache_alloc: %u alloc+free took %lld ns\n", objnum - remaining, delta);

	wait_event_interruptible(park_q, kthread_should_stop());
	return 0;
}

static int __init ritchie_load(void)
{
	slab = kmem_cache_create("dr_payloads", sizeof(struct payload), 0, 0, NULL);
	if (!slab)
		return -ENOMEM;
	kt = kthread_run(worker_body, NULL, "dr_cache");
	if (IS_ERR(kt)) {
		kmem_cache_destroy(slab);
		return PTR_ERR(kt);
	}
	return 0;
}

static void __exit ritchie_unload(void)
{
	kthread_stop(kt);
	kmem_cache_destroy(slab);
}

module_init(ritchie_load);
module_exit(ritchie_unload);
MODULE_LICENSE("Dual BSD/GPL");

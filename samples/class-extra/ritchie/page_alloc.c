/* Lab five, part one (D. Ritchie) */



#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/kthread.h>
#include <linux/wait.h>
#include <linux/cpumask.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/ktime.h>

static uint objnum = 2000;
module_param(objnum, uint, 0400);

struct payload {
	unsigned int v[8];
};

static DECLARE_WAIT_QUEUE_HEAD(park_q);
static struct task_struct *kt;

static int worker_body(void *arg)
{
	int pg_order;
	struct page *pg;
	ktime_t t_start;
	s64 delta;

	set_cpus_allowed_ptr(current, cpumask_of(0));
	printk(KERN_INFO "lab5 page_alloc: objnum=%u\n", objnum);
	printk(KERN_INFO "lab5 page_alloc: sizeof item=%d bytes\n", (int)sizeof(struct payload));

	pg_order = get_order((size_t)objnum * sizeof(struct payload));
	t_start = ktime_get();
	pg = alloc_pages(GFP_KERNEL, pg_order);
	if (pg)
		__free_pages(pg, pg_order);
	delta = ktime_to_ns(ktime_sub(ktime_get(), t_start));
	if (pg)
		printk(KERN_INFO "lab5 page_alloc: order=%d took %lld ns\n", pg_order, delta);
	else
		printk(KERN_ERR "lab5 page_alloc: order=%d: out of memory\n", pg_order);

	wait_event_interruptible(park_q, kthread_should_stop());
	return 0;
}

static int __init ritchie_load(void)
{
	kt = kthread_run(worker_body, NULL, "dr_pages");
	return IS_ERR(kt) ? PTR_ERR(kt) : 0;
}

static void __exit ritchie_unload(void)
{
	kthread_stop(kt);
}

module_init(ritchie_load);
module_exit(ritchie_unload);
MODULE_LICENSE("Dual BSD/GPL");

// Lab 5, part 4: kmalloc and kfree one object at a time, timed.
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/ktime.h>

MODULE_LICENSE("GPL");
MODULE_AUTHOR("Group 12");

static int objnum = 2000;
module_param(objnum, int, 0444);
MODULE_PARM_DESC(objnum, "objects to allocate");

struct blk32 {
	char payload[32];
};

static struct task_struct *kt;

static int kt_body(void *dat)
{
	struct blk32 *tmpz;
	int qq, nfail = 0;
	ktime_t t_a, t_b;
	s64 dlt;

	printk(KERN_INFO "lab5_kmem: objnum=%d\n", objnum);
	printk(KERN_INFO "lab5_kmem: one object is %zu bytes\n", sizeof(struct blk32));

	t_a = ktime_get();
	for (qq = 0; qq < objnum; qq++) {
		tmpz = kmalloc(sizeof(*tmpz), GFP_KERNEL);
		if (tmpz == NULL) {
			nfail++;
			continue;
		}
		tmpz->payload[0] = (char)qq;
		kfree(tmpz);
	}
	t_b = ktime_get();
	dlt = ktime_to_ns(ktime_sub(t_b, t_a));

	if (nfail)
		printk(KERN_WARNING "lab5_kmem: %d allocations failed\n", nfail);
	printk(KERN_INFO "lab5_kmem: %d objects alocated and freed in %lld ns\n", objnum - nfail, dlt);

	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		schedule_timeout(HZ / 10);
	}
	return 0;
}

static int __init lab5_kmem_init(void)
{
	kt = kthread_create(kt_body, NULL, "lab5_kmem");
	if (IS_ERR(kt)) {
		printk(KERN_ERR "lab5_kmem: kthread_create failed\n");
		return PTR_ERR(kt);
	}
	kthread_bind(kt, 0);
	wake_up_process(kt);
	printk(KERN_INFO "lab5_kmem: thread started on cpu 0\n");
	return 0;
}

static void __exit lab5_kmem_exit(void)
{
	kthread_stop(kt);
	printk(KERN_INFO "lab5_kmem: bye\n");
}

module_init(lab5_kmem_init);
module_exit(lab5_kmem_exit);

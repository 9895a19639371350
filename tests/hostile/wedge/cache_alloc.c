/*
 * Lab 5 - Exercise 5: cache_alloc
 *
 * Hostile: the init function makes every CPU spin for ever with interrupts
 * off. Nothing in the guest runs again, not even the agent: only the host can
 * tell, from the silence on the agent's channel.
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/smp.h>

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmem_cache allocation");

static unsigned int objnum = 2000;
module_param(objnum, uint, 0444);

static void spin_for_ever(void *unused)
{
	for (;;)
		cpu_relax();
}

static int __init ca_init(void)
{
	printk(KERN_INFO "cache_alloc: loading\n");
	on_each_cpu(spin_for_ever, NULL, 0);
	return 0;
}

static void __exit ca_exit(void)
{
	printk(KERN_INFO "cache_alloc: unloaded\n");
}

module_init(ca_init);
module_exit(ca_exit);

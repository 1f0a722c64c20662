using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace PinAnalyzers.Leases;

/// <summary>
/// The <c>PinAnalyzers.Leases</c> meter. Instruments (all tagged <c>pinanalyzers.leases.budget</c> = the budget's name):
/// <list type="bullet">
/// <item><c>pinanalyzers.leases.pinned_bytes</c> (observable up-down counter, By): bytes pinned now;</item>
/// <item><c>pinanalyzers.leases.active</c> (observable up-down counter, {lease}): leases held now;</item>
/// <item><c>pinanalyzers.leases.rejected</c> (counter, {lease}): acquires refused, tagged <c>reason</c> = bytes | leases | revoking;</item>
/// <item><c>pinanalyzers.leases.revocations</c> (counter, {revocation}): leases whose revocation finished, one per
/// RevokeAsync call and one per lease of a RevokeAllAsync call, tagged <c>outcome</c> = released | timed_out | canceled.</item>
/// </list>
/// Budgets are observed through weak references: a budget nobody holds (and so no lease holds) drops out.
/// </summary>
internal static class LeaseMetrics
{
    internal const string MeterName = "PinAnalyzers.Leases";
    internal const string BudgetTag = "pinanalyzers.leases.budget";

    private static readonly object s_lock = new object();
    private static readonly List<WeakReference<PinBudget>> s_budgets = new List<WeakReference<PinBudget>>();
    private static int s_purgeAt = 64;

    private static readonly Meter s_meter = new Meter(MeterName, typeof(LeaseMetrics).Assembly.GetName().Version?.ToString());

    private static readonly Counter<long> s_rejected = s_meter.CreateCounter<long>(
        "pinanalyzers.leases.rejected", "{lease}", "Lease acquisitions refused: the pin budget would be exceeded, or it is revoking all its leases.");

    private static readonly Counter<long> s_revocations = s_meter.CreateCounter<long>(
        "pinanalyzers.leases.revocations", "{revocation}", "Lease revocations that finished (RevokeAsync, or each lease of RevokeAllAsync), by outcome.");

    static LeaseMetrics()
    {
        s_meter.CreateObservableUpDownCounter(
            "pinanalyzers.leases.pinned_bytes",
            () => Observe(static b => b.PinnedBytes),
            "By",
            "Bytes pinned by leases, per budget.");
        s_meter.CreateObservableUpDownCounter(
            "pinanalyzers.leases.active",
            () => Observe(static b => b.ActiveLeases),
            "{lease}",
            "Leases pinned now, per budget.");
    }

    internal static void Register(PinBudget budget)
    {
        lock (s_lock)
        {
            if (s_budgets.Count >= s_purgeAt)
            {
                s_budgets.RemoveAll(static w => !w.TryGetTarget(out _));
                s_purgeAt = Math.Max(64, s_budgets.Count * 2);
            }

            s_budgets.Add(new WeakReference<PinBudget>(budget));
        }
    }

    internal static void RecordRejection(PinBudget budget, string reason)
    {
        if (s_rejected.Enabled)
        {
            s_rejected.Add(1, new KeyValuePair<string, object?>(BudgetTag, budget.Name), new KeyValuePair<string, object?>("reason", reason));
        }
    }

    internal static void RecordRevocation(PinBudget budget, string outcome)
    {
        if (s_revocations.Enabled)
        {
            s_revocations.Add(1, new KeyValuePair<string, object?>(BudgetTag, budget.Name), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    private static List<Measurement<long>> Observe(Func<PinBudget, long> read)
    {
        var measurements = new List<Measurement<long>>();
        lock (s_lock)
        {
            s_budgets.RemoveAll(static w => !w.TryGetTarget(out _));
            foreach (WeakReference<PinBudget> weak in s_budgets)
            {
                if (weak.TryGetTarget(out PinBudget? budget))
                {
                    measurements.Add(new Measurement<long>(read(budget), new KeyValuePair<string, object?>(BudgetTag, budget.Name)));
                }
            }
        }

        return measurements;
    }
}

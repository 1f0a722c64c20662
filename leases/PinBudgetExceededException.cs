using System;
using System.Globalization;

namespace PinAnalyzers.Leases;

/// <summary>
/// Thrown when acquiring a lease would pin more bytes, or more leases, than its <see cref="PinBudget"/>
/// allows. Nothing was pinned and the budget is unchanged.
/// </summary>
public sealed class PinBudgetExceededException : InvalidOperationException
{
    /// <summary>Creates the exception with a message only (the numbers are left at zero).</summary>
    public PinBudgetExceededException()
        : base("The pin budget would be exceeded.")
    {
        BudgetName = string.Empty;
    }

    /// <summary>Creates the exception with a message only (the numbers are left at zero).</summary>
    /// <param name="message">The message.</param>
    public PinBudgetExceededException(string message)
        : base(message)
    {
        BudgetName = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception (the numbers are left at zero).</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PinBudgetExceededException(string message, Exception innerException)
        : base(message, innerException)
    {
        BudgetName = string.Empty;
    }

    internal PinBudgetExceededException(PinBudget budget, long requestedBytes)
        : this(budget.Name, requestedBytes, budget.PinnedBytes, budget.MaxBytes, budget.ActiveLeases, budget.MaxLeases)
    {
    }

    private PinBudgetExceededException(string name, long requested, long pinned, long maxBytes, int active, int maxLeases)
        : base(FormatMessage(name, requested, pinned, maxBytes, active, maxLeases))
    {
        BudgetName = name;
        RequestedBytes = requested;
        PinnedBytes = pinned;
        MaxBytes = maxBytes;
        ActiveLeases = active;
        MaxLeases = maxLeases;
    }

    /// <summary>The name of the budget that refused the lease.</summary>
    public string BudgetName { get; }

    /// <summary>The byte length of the lease that was refused.</summary>
    public long RequestedBytes { get; }

    /// <summary>The bytes the budget had pinned when it refused.</summary>
    public long PinnedBytes { get; }

    /// <summary>The budget's byte limit.</summary>
    public long MaxBytes { get; }

    /// <summary>The leases the budget had active when it refused.</summary>
    public int ActiveLeases { get; }

    /// <summary>The budget's lease limit.</summary>
    public int MaxLeases { get; }

    private static string FormatMessage(string name, long requested, long pinned, long maxBytes, int active, int maxLeases)
    {
        string reason = active >= maxLeases
            ? string.Format(CultureInfo.InvariantCulture, "it already holds {0} of {1} leases", active, maxLeases)
            : string.Format(CultureInfo.InvariantCulture, "{0} of {1} bytes are already pinned ({2} available)", pinned, maxBytes, Math.Max(0, maxBytes - pinned));
        return string.Format(
            CultureInfo.InvariantCulture,
            "Cannot pin {0} bytes: the pin budget '{1}' would be exceeded; {2}. Pinned: {3}/{4} bytes, {5}/{6} leases.",
            requested, name, reason, pinned, maxBytes, active, maxLeases);
    }
}

using System;
using System.Globalization;

namespace PinAnalyzers.Leases;

/// <summary>
/// Thrown when a holder uses a lease (<c>Enter</c>, <c>Address</c>) after its owner asked for the pin
/// back with <c>RevokeAsync</c> or <c>PinBudget.RevokeAllAsync</c> (also after the holder disposed the lease
/// in response). The holder should stop using the memory and dispose the lease. Also thrown by an
/// acquisition refused because its budget is revoking all its leases.
/// </summary>
public sealed class PinRevokedException : InvalidOperationException
{
    /// <summary>Creates the exception with a default message.</summary>
    public PinRevokedException()
        : base("The pin lease has been revoked by its owner.")
    {
        LeaseName = string.Empty;
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public PinRevokedException(string message)
        : base(message)
    {
        LeaseName = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public PinRevokedException(string message, Exception innerException)
        : base(message, innerException)
    {
        LeaseName = string.Empty;
    }

    internal PinRevokedException(string leaseName, long byteLength)
        : base(string.Format(
            CultureInfo.InvariantCulture,
            "The {0} of {1} bytes has been revoked by its owner: no new use of its memory is allowed. Stop using it and dispose the lease so that it can be unpinned.",
            leaseName,
            byteLength))
    {
        LeaseName = leaseName;
        ByteLength = byteLength;
    }

    internal static PinRevokedException AcquireRefused(string leaseName, long byteLength, string budgetName) =>
        new PinRevokedException(
            string.Format(
                CultureInfo.InvariantCulture,
                "Cannot acquire a {0} of {1} bytes: the pin budget '{2}' is revoking all its leases (RevokeAllAsync is running). Nothing was pinned; acquire again once the owner has finished.",
                leaseName,
                byteLength,
                budgetName),
            leaseName,
            byteLength);

    internal static PinRevokedException RevokedWhileAcquiring(string leaseName, long byteLength, string budgetName) =>
        new PinRevokedException(
            string.Format(
                CultureInfo.InvariantCulture,
                "The {0} of {1} bytes was revoked while it was being acquired: the pin budget '{2}' is revoking all its leases (RevokeAllAsync is running). It has been unpinned again; acquire again once the owner has finished.",
                leaseName,
                byteLength,
                budgetName),
            leaseName,
            byteLength);

    private PinRevokedException(string message, string leaseName, long byteLength)
        : base(message)
    {
        LeaseName = leaseName;
        ByteLength = byteLength;
    }

    /// <summary>The kind of lease, for example <c>PinLease&lt;Byte&gt;</c> or <c>MappedViewLease</c>.</summary>
    public string LeaseName { get; }

    /// <summary>The byte length of the revoked (or refused) lease.</summary>
    public long ByteLength { get; }
}

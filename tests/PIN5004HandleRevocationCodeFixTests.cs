using PinAnalyzers.CodeFixes;
using PinAnalyzers.Tests.Verifiers;
using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.CodeFixVerifier<PinAnalyzers.LeaseAnalyzer, PinAnalyzers.CodeFixes.HandleRevocationCodeFix>;

namespace PinAnalyzers.Tests;

/// <summary>PIN5004 "Handle revocation": the registration shape of the lease conversions, on the holder's own acquisitions.</summary>
public sealed class PIN5004HandleRevocationCodeFixTests
{
    private const string Key = HandleRevocationCodeFix.EquivalenceKey;

    [Fact]
    public Task AcquiredInAnExpressionBodiedConstructor()
        => VerifyFixAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private readonly PinLease<byte> {|PIN5004:_buffer|};

                public Receiver(byte[] buffer, PinBudget budget) => _buffer = PinLease<byte>.Acquire(buffer, budget);

                public void Dispose() => _buffer.Dispose();
            }
            """, """
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private readonly PinLease<byte> _buffer;

                public Receiver(byte[] buffer, PinBudget budget)
                {
                    var bufferLease = PinLease<byte>.Acquire(buffer, budget);
                    bufferLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        bufferLease.Dispose();
                    });
                    _buffer = bufferLease;
                }

                public void Dispose() => _buffer.Dispose();
            }
            """);

    [Fact]
    public Task AllocatedInAMethodAndInAConstructor_BothRegistered()
        => VerifyFixAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Ring : IDisposable
            {
                private PinLease<long>? {|PIN5004:_slotsLease|};

                public Ring()
                {
                    // Small until started.
                    _slotsLease = PinLease<long>.Allocate(16);
                }

                public void Start(int length)
                {
                    if (length > 0)
                        _slotsLease = PinLease<long>.Allocate(length);
                }

                public void Dispose() => _slotsLease?.Dispose();
            }
            """, """
            using System;
            using PinAnalyzers.Leases;

            sealed class Ring : IDisposable
            {
                private PinLease<long>? _slotsLease;

                public Ring()
                {
                    // Small until started.
                    var slotsLease = PinLease<long>.Allocate(16);
                    slotsLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        slotsLease.Dispose();
                    });
                    _slotsLease = slotsLease;
                }

                public void Start(int length)
                {
                    if (length > 0)
                    {
                        var slotsLease = PinLease<long>.Allocate(length);
                        slotsLease.RevocationRequested.Register(() =>
                        {
                            // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                            slotsLease.Dispose();
                        });
                        _slotsLease = slotsLease;
                    }
                }

                public void Dispose() => _slotsLease?.Dispose();
            }
            """);

    [Fact]
    public Task MappedViewLease_SaysView()
        => VerifyFixAsync("""
            using System;
            using System.IO.MemoryMappedFiles;
            using PinAnalyzers.Leases;

            sealed class Log : IDisposable
            {
                private readonly MappedViewLease {|PIN5004:_view|};

                public Log(MemoryMappedViewAccessor accessor)
                {
                    _view = MappedViewLease.Acquire(accessor);
                }

                public void Dispose() => _view.Dispose();
            }
            """, """
            using System;
            using System.IO.MemoryMappedFiles;
            using PinAnalyzers.Leases;

            sealed class Log : IDisposable
            {
                private readonly MappedViewLease _view;

                public Log(MemoryMappedViewAccessor accessor)
                {
                    var viewLease = MappedViewLease.Acquire(accessor);
                    viewLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the view back: stop all native use of it here (deregister it), then dispose the lease.
                        viewLease.Dispose();
                    });
                    _view = viewLease;
                }

                public void Dispose() => _view.Dispose();
            }
            """);

    [Fact]
    public async Task FixAll_TwoTypesAndTwoFieldsOfOneType()
    {
        var source = """
            using System;
            using PinAnalyzers.Leases;

            sealed class Pair : IDisposable
            {
                private readonly PinLease<byte> {|PIN5004:_send|};
                private readonly PinLease<byte> {|PIN5004:_receive|};

                public Pair(byte[] send, byte[] receive)
                {
                    _send = PinLease<byte>.Acquire(send);
                    _receive = PinLease<byte>.Acquire(receive);
                }

                public void Dispose()
                {
                    _send.Dispose();
                    _receive.Dispose();
                }
            }

            sealed class Single : IDisposable
            {
                private readonly PinLease<int> {|PIN5004:_lease|};

                public Single() => _lease = PinLease<int>.Allocate(8);

                public void Dispose() => _lease.Dispose();
            }
            """;
        var fixedSource = """
            using System;
            using PinAnalyzers.Leases;

            sealed class Pair : IDisposable
            {
                private readonly PinLease<byte> _send;
                private readonly PinLease<byte> _receive;

                public Pair(byte[] send, byte[] receive)
                {
                    var sendLease = PinLease<byte>.Acquire(send);
                    sendLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        sendLease.Dispose();
                    });
                    _send = sendLease;
                    var receiveLease = PinLease<byte>.Acquire(receive);
                    receiveLease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        receiveLease.Dispose();
                    });
                    _receive = receiveLease;
                }

                public void Dispose()
                {
                    _send.Dispose();
                    _receive.Dispose();
                }
            }

            sealed class Single : IDisposable
            {
                private readonly PinLease<int> _lease;

                public Single()
                {
                    var lease = PinLease<int>.Allocate(8);
                    lease.RevocationRequested.Register(() =>
                    {
                        // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                        lease.Dispose();
                    });
                    _lease = lease;
                }

                public void Dispose() => _lease.Dispose();
            }
            """;
        // One fix per field by itself fixes only that field; the type's other field is silenced by the first
        // registration (the rule asks for any read of RevocationRequested in the type), so the one-at-a-time result
        // registers one field of Pair; Fix All registers every reported field.
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = """
                using System;
                using PinAnalyzers.Leases;

                sealed class Pair : IDisposable
                {
                    private readonly PinLease<byte> _send;
                    private readonly PinLease<byte> _receive;

                    public Pair(byte[] send, byte[] receive)
                    {
                        var sendLease = PinLease<byte>.Acquire(send);
                        sendLease.RevocationRequested.Register(() =>
                        {
                            // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                            sendLease.Dispose();
                        });
                        _send = sendLease;
                        _receive = PinLease<byte>.Acquire(receive);
                    }

                    public void Dispose()
                    {
                        _send.Dispose();
                        _receive.Dispose();
                    }
                }

                sealed class Single : IDisposable
                {
                    private readonly PinLease<int> _lease;

                    public Single()
                    {
                        var lease = PinLease<int>.Allocate(8);
                        lease.RevocationRequested.Register(() =>
                        {
                            // TODO(PinLease): the owner wants the buffer back: stop all native use of it here (deregister it), then dispose the lease.
                            lease.Dispose();
                        });
                        _lease = lease;
                    }

                    public void Dispose() => _lease.Dispose();
                }
                """,
            BatchFixedCode = fixedSource,
            CodeActionEquivalenceKey = Key,
            NumberOfIncrementalIterations = 2,
            NumberOfFixAllIterations = 1,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource);
    }

    [Fact]
    public Task NotOffered_ForAFieldInitializer()
        => VerifyNoFixAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private readonly PinLease<byte> {|PIN5004:_buffer|} = PinLease<byte>.Allocate(4096);

                public void Dispose() => _buffer.Dispose();
            }
            """);

    [Fact]
    public Task NotOffered_WhenAnotherAcquisitionIsATryAcquire()
        => VerifyNoFixAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private PinLease<byte>? {|PIN5004:_buffer|};

                public Receiver(byte[] buffer) => _buffer = PinLease<byte>.Acquire(buffer);

                public bool Retry(byte[] buffer) => PinLease<byte>.TryAcquire(buffer, null, out _buffer);

                public void Dispose() => _buffer?.Dispose();
            }
            """);

    [Fact]
    public Task NotOffered_WhenTheAcquisitionIsInsideAnExpression()
        => VerifyNoFixAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private PinLease<byte>? {|PIN5004:_buffer|};

                public IntPtr Open(byte[] buffer) => (_buffer = PinLease<byte>.Acquire(buffer)).Address;

                public void Dispose() => _buffer?.Dispose();
            }
            """);

    private static async Task VerifyFixAsync(string source, string fixedSource)
    {
        var test = new Verify.Test
        {
            TestCode = source,
            FixedCode = fixedSource,
            CodeActionEquivalenceKey = Key,
        };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        await test.RunAsync(CancellationToken.None);
        await LeaseFixVerifier.AssertCleanAsync(fixedSource);
    }

    private static Task VerifyNoFixAsync(string source)
    {
        var test = new Verify.Test { TestCode = source, FixedCode = source };
        test.TestState.AdditionalReferences.Add(LeaseAnalyzerVerifier<LeaseAnalyzer>.Leases);
        return test.RunAsync(CancellationToken.None);
    }
}

using Xunit;
using Verify = PinAnalyzers.Tests.Verifiers.LeaseAnalyzerVerifier<PinAnalyzers.LeaseAnalyzer>;

namespace PinAnalyzers.Tests;

public sealed class PIN5004HolderIgnoresRevocationTests
{
    [Fact]
    public Task AcquiredInConstructorNeverObserved()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private readonly PinLease<byte> {|#0:_buffer|};

                public Receiver(byte[] buffer, PinBudget budget) => _buffer = PinLease<byte>.Acquire(buffer, budget);

                public IntPtr Address => _buffer.Address;

                public void Dispose() => _buffer.Dispose();
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Receiver"));

    [Fact]
    public Task AllocatedInMethodNeverObserved()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Ring : IDisposable
            {
                private PinLease<long>? {|#0:_slots|};

                public void Start(int length) => _slots = PinLease<long>.Allocate(length);

                public void Dispose() => _slots?.Dispose();
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Ring"));

    [Fact]
    public Task TryAcquireIntoFieldNeverObserved()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private PinLease<byte>? {|#0:_buffer|};

                public bool Start(byte[] buffer, PinBudget budget) => PinLease<byte>.TryAcquire(buffer, budget, out _buffer);

                public void Dispose() => _buffer?.Dispose();
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Receiver"));

    [Fact]
    public Task MappedViewLeaseNeverObserved()
        => Verify.VerifyAsync("""
            using System;
            using System.IO.MemoryMappedFiles;
            using PinAnalyzers.Leases;

            sealed class LogShipper : IDisposable
            {
                private readonly MappedViewLease {|#0:_log|};

                public LogShipper(MemoryMappedViewAccessor view, PinBudget budget)
                {
                    _log = MappedViewLease.Acquire(view, budget);
                }

                public void Dispose() => _log.Dispose();
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("LogShipper"));

    [Fact]
    public Task MappedViewTryAcquireIntoFieldNeverObserved()
        => Verify.VerifyAsync("""
            using System.IO.MemoryMappedFiles;
            using PinAnalyzers.Leases;

            sealed class LogShipper
            {
                private MappedViewLease? {|#0:_log|};

                public bool Start(MemoryMappedViewAccessor view, PinBudget budget) => MappedViewLease.TryAcquire(view, budget, out _log);
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("LogShipper"));

    [Fact]
    public Task StructHolderNeverObserved()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            struct Slot
            {
                private PinLease<byte>? {|#0:_lease|};

                public void Fill(byte[] buffer) => _lease = PinLease<byte>.Acquire(buffer);
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Slot"));

    [Fact]
    public Task EveryAcquiredFieldIsReported()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            sealed class Duplex
            {
                private PinLease<byte>? {|#0:_receive|};
                private PinLease<byte>? {|#1:_send|};

                public void Start(PinBudget budget)
                {
                    _receive = PinLease<byte>.Allocate(4096, budget);
                    this._send = PinLease<byte>.Allocate(4096, budget);
                }
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Duplex"),
            Verify.Diagnostic("PIN5004").WithLocation(1).WithArguments("Duplex"));

    [Fact]
    public Task PollingIsPinnedIsNotObservingRevocation()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            sealed class Poller
            {
                private PinLease<byte>? {|#0:_buffer|};

                public void Start(byte[] buffer) => _buffer = PinLease<byte>.Acquire(buffer);

                public bool Alive => _buffer is { IsPinned: true, IsRevoked: false };
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Poller"));

    [Fact]
    public Task GenericHolderNeverObserved()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            sealed class Ring<T>
                where T : unmanaged
            {
                private PinLease<T>? {|#0:_slots|};

                public void Start(T[] slots) => _slots = PinLease<T>.Acquire(slots);
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Ring"));

    [Fact]
    public Task AcquiredInsideALambdaNeverObserved()
        => Verify.VerifyAsync("""
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            sealed class Loader
            {
                private PinLease<byte>? {|#0:_buffer|};

                public Task StartAsync(int length) => Task.Run(() => _buffer = PinLease<byte>.Allocate(length));
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Loader"));

    [Fact(Skip = "known limitation: IsAcquisition only accepts an Acquire/Allocate call as the assigned value itself, so var lease = PinLease<T>.Acquire(...); _field = lease; is never recorded as held")]
    public Task AcquiredThroughALocalNeverObserved()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            sealed class Receiver
            {
                private PinLease<byte>? {|#0:_buffer|};

                public void Start(byte[] buffer, PinBudget budget)
                {
                    var lease = PinLease<byte>.Acquire(buffer, budget);
                    _buffer = lease;
                }
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Receiver"));

    [Fact(Skip = "known limitation: HasLeaseField/OnAssignment require the field's declared type to be a lease, so a lease acquired into an IDisposable field is never recorded as held")]
    public Task HeldAsIDisposableNeverObserved()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private readonly IDisposable {|#0:_pin|};

                public Receiver(byte[] buffer) => _pin = PinLease<byte>.Acquire(buffer);

                public void Dispose() => _pin.Dispose();
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Receiver"));

    [Fact]
    public Task AcquiredInFieldInitializerNeverObserved()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Scratch : IDisposable
            {
                private readonly PinLease<byte> {|#0:_buffer|} = PinLease<byte>.Allocate(4096);

                public void Dispose() => _buffer.Dispose();
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Scratch"));

    [Fact]
    public Task LazilyAllocatedNeverObserved()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            sealed class Scratch
            {
                private PinLease<byte>? {|#0:_buffer|};

                public PinLease<byte> Buffer => _buffer ??= PinLease<byte>.Allocate(4096);
            }
            """,
            Verify.Diagnostic("PIN5004").WithLocation(0).WithArguments("Scratch"));

    // ---- valid code: no PIN5004 ----

    [Fact]
    public Task RegistersOnRevocationRequested()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Receiver : IDisposable
            {
                private readonly PinLease<byte> _buffer;

                public Receiver(byte[] buffer, PinBudget budget)
                {
                    _buffer = PinLease<byte>.Acquire(buffer, budget);
                    _buffer.RevocationRequested.Register(Dispose);
                }

                public void Dispose() => _buffer.Dispose();
            }
            """);

    [Fact]
    public Task PassesRevocationRequestedAsCancellationToken()
        => Verify.VerifyAsync("""
            using System;
            using System.IO;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            sealed class Pump : IDisposable
            {
                private readonly PinLease<byte> _buffer;

                public Pump(PinBudget budget) => _buffer = PinLease<byte>.Allocate(4096, budget);

                public async Task RunAsync(Stream source)
                {
                    try
                    {
                        while (await source.ReadAsync(_buffer.Array.AsMemory(), _buffer.RevocationRequested) > 0)
                        {
                        }
                    }
                    catch (OperationCanceledException)
                    {
                    }
                    finally
                    {
                        _buffer.Dispose();
                    }
                }

                public void Dispose() => _buffer.Dispose();
            }
            """);

    [Fact]
    public Task LinksRevocationRequestedWithAnotherToken()
        => Verify.VerifyAsync("""
            using System;
            using System.IO.MemoryMappedFiles;
            using System.Threading;
            using PinAnalyzers.Leases;

            sealed class LogShipper : IDisposable
            {
                private readonly MappedViewLease _log;
                private readonly CancellationTokenSource _stop;

                public LogShipper(MemoryMappedViewAccessor view, CancellationToken shutdown)
                {
                    _log = MappedViewLease.Acquire(view);
                    _stop = CancellationTokenSource.CreateLinkedTokenSource(_log.RevocationRequested, shutdown);
                }

                public void Dispose()
                {
                    _stop.Dispose();
                    _log.Dispose();
                }
            }
            """);

    [Fact]
    public Task ChecksRevocationInALoop()
        => Verify.VerifyAsync("""
            using System;
            using System.Runtime.InteropServices;
            using PinAnalyzers.Leases;

            sealed class Poller : IDisposable
            {
                [DllImport("libc")] private static extern int poll_device(nint buffer, int count);

                private PinLease<byte>? _buffer;

                public void Run(int length)
                {
                    _buffer = PinLease<byte>.Allocate(length);
                    while (!_buffer.RevocationRequested.IsCancellationRequested)
                    {
                        poll_device(_buffer.Address, _buffer.Length);
                    }

                    _buffer.Dispose();
                }

                public void Dispose() => _buffer?.Dispose();
            }
            """);

    [Fact]
    public Task ObservedInsideALambda()
        => Verify.VerifyAsync("""
            using System;
            using System.Threading.Tasks;
            using PinAnalyzers.Leases;

            sealed class Worker : IDisposable
            {
                private readonly PinLease<byte> _buffer = null!;

                public Worker(byte[] buffer)
                {
                    _buffer = PinLease<byte>.Acquire(buffer);
                    Task.Run(() => _buffer.RevocationRequested.WaitHandle.WaitOne()).ContinueWith(_ => Dispose());
                }

                public void Dispose() => _buffer.Dispose();
            }
            """);

    [Fact]
    public Task ObservingAnyLeaseInTheTypeIsEnough()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Duplex : IDisposable
            {
                private readonly PinLease<byte> _receive;
                private readonly PinLease<byte> _send;

                public Duplex(PinBudget budget)
                {
                    _receive = PinLease<byte>.Allocate(4096, budget);
                    _send = PinLease<byte>.Allocate(4096, budget);
                    _receive.RevocationRequested.Register(Dispose);
                }

                public void Dispose()
                {
                    _receive.Dispose();
                    _send.Dispose();
                }
            }
            """);

    [Fact]
    public Task ObservedInAnotherPartOfAPartialType()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed partial class Receiver
            {
                private PinLease<byte>? _buffer;

                public void Start(byte[] buffer) => _buffer = PinLease<byte>.Acquire(buffer);
            }

            sealed partial class Receiver
            {
                public void Watch() => _buffer?.RevocationRequested.Register(() => _buffer.Dispose());
            }
            """);

    [Fact]
    public Task LeaseReceivedFromOutsideIsNotAcquired()
        => Verify.VerifyAsync("""
            using System;
            using PinAnalyzers.Leases;

            sealed class Sender
            {
                private readonly PinLease<byte> _buffer;
                private MappedViewLease? _log;

                public Sender(PinLease<byte> buffer) => _buffer = buffer;

                public void Attach(MappedViewLease log) => _log = log;

                public IntPtr Address => _buffer.Address;
            }
            """);

    [Fact]
    public Task LeaseFromAFactoryMethodIsNotAcquiredHere()
        => Verify.VerifyAsync("""
            using PinAnalyzers.Leases;

            static class Pool
            {
                public static PinLease<byte> Rent(int length) => PinLease<byte>.Allocate(length);
            }

            sealed class Sender
            {
                private readonly PinLease<byte> _buffer;

                public Sender() => _buffer = Pool.Rent(4096);
            }
            """);

    [Fact]
    public Task LeaseInALocalOnly()
        => Verify.VerifyAsync("""
            using System.IO;
            using PinAnalyzers.Leases;

            sealed class Copier
            {
                private PinLease<byte>? _last;

                public void Copy(Stream source, byte[] buffer)
                {
                    using var lease = PinLease<byte>.Acquire(buffer);
                    source.Read(buffer, 0, buffer.Length);
                }
            }
            """);

    // ---- broken code ----

    [Fact]
    public Task HalfTypedCodeDoesNotCrash()
        => Verify.VerifyNoCrashAsync("""
            using PinAnalyzers.Leases;

            sealed class Receiver
            {
                private PinLease<byte> _buffer = PinLease<byte>.Acquire(;
                private PinLease<> _other;
                private MappedViewLease _log

                public Receiver(byte[] buffer)
                {
                    _buffer = PinLease<byte>.Allocate(
                    PinLease<byte>.TryAcquire(buffer, null, out _other);
                    _log = MappedViewLease.Acquire(missing);
                    _buffer.RevocationRequested.
                }
            """);
}

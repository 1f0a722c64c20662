using System.Runtime.ExceptionServices;
using static PinAnalyzers.Tests.Leases.LeaseTestHelpers;

namespace PinAnalyzers.Tests.Leases;

/// <summary>
/// A use of leased memory in flight on another thread. A scope is a ref struct and cannot live across
/// an <c>await</c>, so async tests hold one here: <c>use</c> opens the scope, calls <c>entered()</c>
/// (which blocks until <see cref="Exit"/>), may then touch the memory, and closes the scope.
/// </summary>
internal sealed class InFlightUse : IDisposable
{
    private readonly ManualResetEventSlim _entered = new();
    private readonly ManualResetEventSlim _release = new();
    private readonly Thread _thread;
    private Exception? _error;

    public InFlightUse(Action<Action> use)
    {
        _thread = new Thread(() =>
        {
            try
            {
                use(() =>
                {
                    _entered.Set();
                    if (!_release.Wait(Generous))
                    {
                        throw new TimeoutException("the test never released the in-flight use");
                    }
                });
            }
            catch (Exception e)
            {
                _error = e;
            }
            finally
            {
                _entered.Set();
            }
        });
        _thread.Start();
        Xunit.Assert.True(_entered.Wait(Generous), "the in-flight use did not start");
        Rethrow();
    }

    /// <summary>Lets the use finish (it touches the memory, then closes its scope) and waits for it.</summary>
    public void Exit()
    {
        _release.Set();
        Xunit.Assert.True(_thread.Join(Generous), "the in-flight use did not finish");
        Rethrow();
    }

    public void Dispose()
    {
        _release.Set();
        _thread.Join(Generous);
        _entered.Dispose();
        _release.Dispose();
    }

    private void Rethrow()
    {
        if (_error is not null)
        {
            ExceptionDispatchInfo.Capture(_error).Throw();
        }
    }
}

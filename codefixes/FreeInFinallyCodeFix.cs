using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using PinAnalyzers.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// PIN1002 "Free in <c>finally</c> / <c>using</c>": the statements after a pin kept in a local move into a
    /// <c>try</c> whose <c>finally</c> frees the handle (a <c>PinnedGCHandle&lt;T&gt;</c> becomes a <c>using</c>), and
    /// the releases they made themselves go away. See docs/rules/PIN1002.md.
    /// </summary>
    /// <remarks>
    /// The try ends where the pin ended before: at the last top-level release of the block when nothing after it
    /// needs the handle or a local declared in between, else at the end of the block. The fix is offered only when
    /// every use of the handle is a call or property on it (no copies, no reassignment) and no label would end up
    /// inside the try; otherwise a double free or a compile error could follow.
    /// </remarks>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(FreeInFinallyCodeFix)), Shared]
    public sealed class FreeInFinallyCodeFix : CodeFixProvider
    {
        public const string EquivalenceKey = "PIN1002.FreeInFinally";

        private const string FreeTitle = "Free the pinned handle in a finally block";
        private const string DisposeTitle = "Dispose the pinned handle with using";

        private static readonly FixAllProvider s_fixAll = PinFixes.CreateFixAll(RewriteAsync);

        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(Descriptors.PIN1002PinnedHandleNotFreed.Id);

        public override FixAllProvider GetFixAllProvider() => s_fixAll;

        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var fixedDocument = await PinFixes.FixOneAsync(context.Document, diagnostic.Location.SourceSpan, RewriteAsync, context.CancellationToken).ConfigureAwait(false);
                if (fixedDocument is null)
                {
                    continue;
                }

                var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
                var title = root is not null && PinFixes.FindPin(root, diagnostic.Location.SourceSpan) is BaseObjectCreationExpressionSyntax ? DisposeTitle : FreeTitle;
                context.RegisterCodeFix(CodeAction.Create(title, _ => Task.FromResult(fixedDocument), EquivalenceKey), diagnostic);
            }
        }

        private static async Task<SyntaxNode?> RewriteAsync(Document document, SyntaxNode root, ExpressionSyntax pin, CancellationToken cancellationToken)
        {
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (model is null || PinApis.Create(model.Compilation) is not { } apis)
            {
                return null;
            }

            if (model.GetOperation(pin, cancellationToken) is not { } operation || HandlePinSites.Find(operation, apis) is not { } site)
            {
                return null;
            }

            var rewriter = new Rewriter(model, apis, site.Kind, cancellationToken);
            var block = rewriter.Rewrite(pin);
            return block is null ? null : root.ReplaceNode(block.Value.Old, block.Value.New);
        }

        private enum Use
        {
            /// <summary>A call or property read that leaves the handle as it is.</summary>
            Read,

            /// <summary><c>h.Target = x</c>: fine in a try, not on a read-only <c>using</c> variable.</summary>
            Write,

            /// <summary><c>h.Free()</c> or <c>h.Dispose()</c>.</summary>
            Release,

            /// <summary><c>h = ...</c>.</summary>
            Assignment,

            /// <summary>A copy, a ref, an unknown member: the fix cannot follow the handle.</summary>
            Other,
        }

        private sealed class Rewriter
        {
            private readonly SemanticModel _model;
            private readonly PinApis _apis;
            private readonly PinKind _kind;
            private readonly CancellationToken _cancellationToken;
            private ISymbol _holder = null!;
            private SyntaxToken _holderName;
            private SyntaxTrivia _endOfLine = CarriageReturnLineFeed;

            internal Rewriter(SemanticModel model, PinApis apis, PinKind kind, CancellationToken cancellationToken)
            {
                _model = model;
                _apis = apis;
                _kind = kind;
                _cancellationToken = cancellationToken;
            }

            private string ReleaseName => _kind == PinKind.GCHandle ? "Free" : "Dispose";

            internal (BlockSyntax Old, BlockSyntax New)? Rewrite(ExpressionSyntax pin)
            {
                var value = PinFixes.WalkUpParentheses(pin);
                StatementSyntax statement;
                bool declared;
                switch (value.Parent)
                {
                    case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax declarator }
                        when declarator.Parent is VariableDeclarationSyntax { Variables.Count: 1, Parent: LocalDeclarationStatementSyntax local }
                            && local.UsingKeyword.IsKind(SyntaxKind.None)
                            && local.AwaitKeyword.IsKind(SyntaxKind.None)
                            && !local.IsConst:
                        if (_model.GetDeclaredSymbol(declarator, _cancellationToken) is not ILocalSymbol { IsRef: false } declaredLocal)
                        {
                            return null;
                        }

                        _holder = declaredLocal;
                        _holderName = declarator.Identifier;
                        statement = local;
                        declared = true;
                        break;

                    case AssignmentExpressionSyntax { Parent: ExpressionStatementSyntax expressionStatement, Left: IdentifierNameSyntax left } assignment
                        when assignment.IsKind(SyntaxKind.SimpleAssignmentExpression) && assignment.Right == value:
                        var assigned = _model.GetSymbolInfo(left, _cancellationToken).Symbol;
                        if (assigned is not (ILocalSymbol { IsRef: false } or IParameterSymbol { RefKind: RefKind.None }))
                        {
                            return null;
                        }

                        _holder = assigned;
                        _holderName = left.Identifier;
                        statement = expressionStatement;
                        declared = false;
                        break;

                    default:
                        // A discarded pin, an expression body, a pin inside a larger expression: no safe rewrite.
                        return null;
                }

                var holderType = _holder is ILocalSymbol l ? l.Type : ((IParameterSymbol)_holder).Type;
                var expectedType = _kind == PinKind.GCHandle ? _apis.IsGCHandle(holderType) : _apis.IsPinnedGCHandle(holderType);
                if (!expectedType || statement.Parent is not BlockSyntax block)
                {
                    return null;
                }

                var index = block.Statements.IndexOf(statement);
                var endOfLine = statement.GetTrailingTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
                if (endOfLine.IsKind(SyntaxKind.EndOfLineTrivia))
                {
                    _endOfLine = endOfLine;
                }

                var rest = block.Statements.Skip(index + 1).ToList();
                if (rest.Any(s => s is LabeledStatementSyntax))
                {
                    // A goto from before the pin into the try (or past a using declaration) would not compile.
                    return null;
                }

                // Every use of the handle after the pin must be a member access on it.
                var writes = false;
                var releaseStatements = new HashSet<StatementSyntax>(rest.Where(IsReleaseStatement));
                var nestedRelease = false;
                foreach (var identifier in References(rest))
                {
                    switch (Classify(identifier))
                    {
                        case Use.Read:
                            break;
                        case Use.Write:
                            writes = true;
                            break;
                        case Use.Release:
                            if (!identifier.Ancestors().OfType<StatementSyntax>().Any(releaseStatements.Contains))
                            {
                                nestedRelease = true;
                            }

                            break;
                        default:
                            return null;
                    }
                }

                if (!declared && !OutsideUsesAreSafe(statement, block))
                {
                    return null;
                }

                // The protected region: up to the last top-level release when nothing after it needs what it declared.
                var lastRelease = rest.FindLastIndex(releaseStatements.Contains);
                var protectedCount = rest.Count;
                if (lastRelease >= 0 && lastRelease < rest.Count - 1)
                {
                    var candidate = rest.Take(lastRelease + 1).ToList();
                    var tailStatements = rest.Skip(lastRelease + 1).ToList();
                    // A using declaration in the region would be disposed at the end of the try instead of the
                    // block: the statements after it may rely on it without naming it (a lock, a scope).
                    if (!References(tailStatements).Any()
                        && !UsesDeclarationsOf(tailStatements, candidate)
                        && !candidate.Any(s => s is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword }))
                    {
                        protectedCount = lastRelease + 1;
                    }
                }

                var region = WithoutReleases(rest.Take(protectedCount), releaseStatements);
                var tail = rest.Skip(protectedCount).ToList();

                // Local functions at the end of the region stay outside the try when they can.
                var moved = TrailingLocalFunctions(region);
                region = region.Take(region.Count - moved.Count).ToList();
                if (DeclarationsUsedOutside(region, block, statement))
                {
                    return null;
                }

                var before = block.Statements.Take(index).ToList();
                var statements = new List<StatementSyntax>(before);
                var usingAllowed = _kind == PinKind.TypedHandle && declared && !writes && !nestedRelease;
                if (usingAllowed && tail.Count == 0 && PinFixes.LanguageVersionOf(block) >= LanguageVersion.CSharp8)
                {
                    // using var h = new PinnedGCHandle<T>(x); — disposed at the end of the block.
                    var local = (LocalDeclarationStatementSyntax)statement;
                    statements.Add(local
                        .WithUsingKeyword(Token(local.GetLeadingTrivia(), SyntaxKind.UsingKeyword, TriviaList(Space)))
                        .WithDeclaration(local.Declaration.WithLeadingTrivia())
                        .WithAdditionalAnnotations(Formatter.Annotation));
                    statements.AddRange(region);
                    statements.AddRange(moved);
                }
                else if (region.Count == 0)
                {
                    // Nothing between the pin and its release: free it right away.
                    statements.Add(statement);
                    statements.Add(ReleaseStatement(guarded: false).WithAdditionalAnnotations(Formatter.Annotation));
                    statements.AddRange(moved);
                }
                else if (usingAllowed)
                {
                    // using (var h = new PinnedGCHandle<T>(x)) { ... } — the pin ends where it ended before.
                    var local = (LocalDeclarationStatementSyntax)statement;
                    statements.Add(UsingStatement(local.Declaration.WithoutTrivia(), null, Body(region))
                        .WithLeadingTrivia(local.GetLeadingTrivia())
                        .WithTrailingTrivia(local.GetTrailingTrivia())
                        .WithAdditionalAnnotations(Formatter.Annotation));
                    statements.AddRange(moved);
                }
                else
                {
                    // A GCHandle freed inside the region as well is zeroed by that Free: only a live one is freed again.
                    // PinnedGCHandle<T>.Dispose does nothing the second time.
                    var release = ReleaseStatement(guarded: nestedRelease && _kind == PinKind.GCHandle);
                    statements.Add(statement);
                    statements.Add(TryStatement(Body(region), List<CatchClauseSyntax>(), FinallyClause(Block(release)))
                        .WithAdditionalAnnotations(Formatter.Annotation));
                    statements.AddRange(moved);
                }

                statements.AddRange(tail);

                // A closing brace is followed by a blank line.
                var after = statements.FindIndex(s => s is TryStatementSyntax or UsingStatementSyntax && s.HasAnnotation(Formatter.Annotation)) + 1;
                if (after > 0 && after < statements.Count)
                {
                    statements[after] = WithBlankLineBefore(statements[after]);
                }

                return (block, block.WithStatements(List(statements)));
            }

            /// <summary>The statements without the releases; a blank line before a removed release stays.</summary>
            private List<StatementSyntax> WithoutReleases(IEnumerable<StatementSyntax> statements, HashSet<StatementSyntax> releases)
            {
                var kept = new List<StatementSyntax>();
                var blankLine = false;
                foreach (var statement in statements)
                {
                    if (releases.Contains(statement))
                    {
                        blankLine |= StartsWithBlankLine(statement);
                        continue;
                    }

                    kept.Add(blankLine ? WithBlankLineBefore(statement) : statement);
                    blankLine = false;
                }

                return kept;
            }

            private static bool StartsWithBlankLine(StatementSyntax statement)
                => statement.GetLeadingTrivia().SkipWhile(t => t.IsKind(SyntaxKind.WhitespaceTrivia)).FirstOrDefault().IsKind(SyntaxKind.EndOfLineTrivia);

            private StatementSyntax WithBlankLineBefore(StatementSyntax statement)
                => StartsWithBlankLine(statement) ? statement : statement.WithLeadingTrivia(statement.GetLeadingTrivia().Insert(0, _endOfLine));

            private static BlockSyntax Body(List<StatementSyntax> region)
            {
                var statements = new List<StatementSyntax>(region);
                statements[0] = statements[0].WithLeadingTrivia(WithoutLeadingBlankLines(statements[0].GetLeadingTrivia()));
                return Block(statements);
            }

            private static SyntaxTriviaList WithoutLeadingBlankLines(SyntaxTriviaList trivia)
            {
                var skip = 0;
                while (skip < trivia.Count && trivia[skip].Kind() is SyntaxKind.WhitespaceTrivia or SyntaxKind.EndOfLineTrivia)
                {
                    skip++;
                }

                return TriviaList(trivia.Skip(skip));
            }

            private StatementSyntax ReleaseStatement(bool guarded)
            {
                var release = ExpressionStatement(InvocationExpression(MemberAccessExpression(
                    SyntaxKind.SimpleMemberAccessExpression,
                    IdentifierName(_holderName.WithoutTrivia()),
                    IdentifierName(ReleaseName))));
                if (!guarded)
                {
                    return release;
                }

                var isAllocated = MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(_holderName.WithoutTrivia()), IdentifierName("IsAllocated"));
                return IfStatement(isAllocated, Block(release));
            }

            /// <summary>Every reference to the handle's holder in <paramref name="nodes"/>.</summary>
            private IEnumerable<IdentifierNameSyntax> References(IEnumerable<SyntaxNode> nodes)
            {
                var name = _holder.Name;
                foreach (var node in nodes)
                {
                    foreach (var identifier in node.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                    {
                        if (identifier.Identifier.ValueText == name
                            && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(identifier, _cancellationToken).Symbol, _holder))
                        {
                            yield return identifier;
                        }
                    }
                }
            }

            private bool Refers(ExpressionSyntax expression)
                => expression is IdentifierNameSyntax identifier
                    && identifier.Identifier.ValueText == _holder.Name
                    && SymbolEqualityComparer.Default.Equals(_model.GetSymbolInfo(identifier, _cancellationToken).Symbol, _holder);

            private Use Classify(IdentifierNameSyntax identifier)
            {
                switch (identifier.Parent)
                {
                    case AssignmentExpressionSyntax assignment when assignment.Left == identifier && assignment.IsKind(SyntaxKind.SimpleAssignmentExpression):
                        return Use.Assignment;

                    case MemberAccessExpressionSyntax access when access.Expression == identifier && access.IsKind(SyntaxKind.SimpleMemberAccessExpression):
                        var member = access.Name.Identifier.ValueText;
                        if (access.Parent is InvocationExpressionSyntax invocation && invocation.Expression == access)
                        {
                            if (member == ReleaseName)
                            {
                                return invocation.ArgumentList.Arguments.Count == 0 ? Use.Release : Use.Other;
                            }

                            return member is "AddrOfPinnedObject" or "GetAddressOfObjectData" or "GetAddressOfArrayData" or "GetAddressOfStringData"
                                or "GetHashCode" or "ToString" or "Equals"
                                ? Use.Read
                                : Use.Other;
                        }

                        if (member is not ("IsAllocated" or "Target"))
                        {
                            return Use.Other;
                        }

                        return access.Parent switch
                        {
                            AssignmentExpressionSyntax assignment when assignment.Left == access => member == "Target" ? Use.Write : Use.Other,
                            PrefixUnaryExpressionSyntax or PostfixUnaryExpressionSyntax or RefExpressionSyntax => Use.Other,
                            ArgumentSyntax argument when !argument.RefKindKeyword.IsKind(SyntaxKind.None) => Use.Other,
                            _ => Use.Read,
                        };

                    default:
                        return Use.Other;
                }
            }

            /// <summary><c>h.Free();</c> or <c>if (h.IsAllocated) h.Free();</c> (braced or not, no else).</summary>
            private bool IsReleaseStatement(StatementSyntax statement)
            {
                switch (statement)
                {
                    case ExpressionStatementSyntax { Expression: InvocationExpressionSyntax invocation }:
                        return invocation.ArgumentList.Arguments.Count == 0
                            && invocation.Expression is MemberAccessExpressionSyntax { Expression: var receiver, Name.Identifier.ValueText: var name } access
                            && access.IsKind(SyntaxKind.SimpleMemberAccessExpression)
                            && name == ReleaseName
                            && Refers(receiver);

                    case IfStatementSyntax { Else: null, Condition: MemberAccessExpressionSyntax { Name.Identifier.ValueText: "IsAllocated" } condition } guarded
                        when Refers(condition.Expression):
                        var body = guarded.Statement is BlockSyntax { Statements.Count: 1 } single ? single.Statements[0] : guarded.Statement;
                        return body is not BlockSyntax && body is not IfStatementSyntax && IsReleaseStatement(body);

                    default:
                        return false;
                }
            }

            /// <summary>
            /// For a handle assigned to a local declared earlier: the uses outside this block must stay right once the
            /// handle is freed (and zeroed) at the end of the try — a read of <c>IsAllocated</c>, a guarded release,
            /// a new assignment. A plain <c>Free()</c> there would free twice.
            /// </summary>
            private bool OutsideUsesAreSafe(StatementSyntax pinStatement, BlockSyntax block)
            {
                SyntaxNode scope = pinStatement.Ancestors().FirstOrDefault(a => a is MemberDeclarationSyntax and not GlobalStatementSyntax)
                    ?? pinStatement.SyntaxTree.GetRoot(_cancellationToken);
                var inside = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(pinStatement.SpanStart, block.Statements.Last().Span.End);
                foreach (var identifier in References(new[] { scope }))
                {
                    if (inside.Contains(identifier.Span))
                    {
                        continue;
                    }

                    if (identifier.Ancestors().Any(a => a is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax))
                    {
                        return false;
                    }

                    var safe = Classify(identifier) switch
                    {
                        Use.Assignment => true,
                        Use.Read => identifier.Parent is MemberAccessExpressionSyntax { Name.Identifier.ValueText: "IsAllocated" },
                        Use.Release => identifier.Ancestors().OfType<IfStatementSyntax>().FirstOrDefault() is { } guard && IsReleaseStatement(guard),
                        _ => false,
                    };

                    if (!safe)
                    {
                        return false;
                    }
                }

                return true;
            }

            /// <summary>True when <paramref name="users"/> refer to a local or local function declared in <paramref name="declarers"/>.</summary>
            private bool UsesDeclarationsOf(IReadOnlyList<StatementSyntax> users, IReadOnlyList<StatementSyntax> declarers)
            {
                if (declarers.Count == 0)
                {
                    return false;
                }

                var span = Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(declarers[0].SpanStart, declarers[declarers.Count - 1].Span.End);
                foreach (var user in users)
                {
                    foreach (var identifier in user.DescendantNodesAndSelf().OfType<IdentifierNameSyntax>())
                    {
                        var symbol = _model.GetSymbolInfo(identifier, _cancellationToken).Symbol;
                        if (symbol is ILocalSymbol or IMethodSymbol { MethodKind: MethodKind.LocalFunction } or IRangeVariableSymbol
                            && symbol.DeclaringSyntaxReferences.Any(r => r.SyntaxTree == user.SyntaxTree && span.Contains(r.Span)))
                        {
                            return true;
                        }
                    }
                }

                return false;
            }

            /// <summary>The local functions that end the region and can live outside the try (they use nothing declared in it).</summary>
            private List<StatementSyntax> TrailingLocalFunctions(List<StatementSyntax> region)
            {
                var start = region.Count;
                while (start > 0 && region[start - 1] is LocalFunctionStatementSyntax)
                {
                    start--;
                }

                if (start == region.Count || start == 0)
                {
                    return new List<StatementSyntax>();
                }

                var functions = region.Skip(start).ToList();
                return UsesDeclarationsOf(functions, region.Take(start).ToList()) ? new List<StatementSyntax>() : functions;
            }

            /// <summary>A local function that moves into the try must not be called from before the pin.</summary>
            private bool DeclarationsUsedOutside(List<StatementSyntax> region, BlockSyntax block, StatementSyntax pinStatement)
            {
                var before = block.Statements.TakeWhile(s => s != pinStatement).Append(pinStatement).ToList();
                return region.Any(s => s is LocalFunctionStatementSyntax) && UsesDeclarationsOf(before, region);
            }
        }
    }
}

using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Operations;
using PinAnalyzers.Flow;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace PinAnalyzers.CodeFixes
{
    /// <summary>
    /// The second half of every lease conversion: the <c>lease.Address</c> reads the conversion made (marked with
    /// <see cref="ReadAnnotationKind"/>) move into <c>using (var scope = lease.Enter()) { … scope.Address … }</c>, so a
    /// revocation cannot unpin under a synchronous native call that read the address a moment before.
    /// </summary>
    /// <remarks>
    /// <para>Which reads: those whose address escapes nowhere (asked of the pin-flow engine, <see cref="PinFlow.FollowAddress"/>,
    /// on the converted code — what the lease analyzer would follow from <c>scope.Address</c>). An address that is
    /// returned, stored or handed to a retaining call outlives any scope (PIN5002); it stays <c>lease.Address</c>, the
    /// registration the revocation callback answers for.</para>
    /// <para>Where: per block, one scope from the first statement that reads the address to the last one, widened until
    /// every local declared inside (and every local holding the address) is used only inside; split at statements that
    /// suspend (<c>await</c>, <c>yield</c>), because a scope is a ref struct and cannot live across them. A read in a
    /// statement that suspends keeps <c>lease.Address</c> and gets a comment that says why. An expression body becomes
    /// a block body.</para>
    /// </remarks>
    internal static class LeaseScopes
    {
        internal const string ReadAnnotationKind = "PinAnalyzers.LeaseAddressRead";

        private const string AcrossAwaitComment = "// PinLease: no scope here: this use of the address spans 'await' or 'yield', which a scope (a ref struct) cannot; stop it in the RevocationRequested callback.";

        /// <summary>Marks a <c>lease.Address</c> read for <see cref="WrapAsync"/>.</summary>
        internal static SyntaxAnnotation NewReadAnnotation() => new(ReadAnnotationKind);

        internal static async Task<Document> WrapAsync(Document document, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
            if (root is null || model is null)
            {
                return document;
            }

            var reads = root.GetAnnotatedNodes(ReadAnnotationKind).OfType<MemberAccessExpressionSyntax>().ToList();
            if (reads.Count == 0)
            {
                return document;
            }

            var planned = PinApis.Create(model.Compilation) is { } apis
                ? new Planner(model, apis, document.Project.AnalyzerOptions.AnalyzerConfigOptionsProvider, cancellationToken).Plan(reads)
                : null;
            var rewritten = planned is null ? root : planned.Apply(root);
            var cleaned = rewritten.ReplaceNodes(rewritten.GetAnnotatedNodes(ReadAnnotationKind), (_, current) => current.WithoutAnnotations(ReadAnnotationKind));
            return document.WithSyntaxRoot(cleaned);
        }

        /// <summary>The statements <c>Start..End</c> of a block that one scope covers.</summary>
        private sealed class Range
        {
            internal Range(int start, int end, ExpressionSyntax lease, string scope)
            {
                Start = start;
                End = end;
                Lease = lease;
                Scope = scope;
            }

            internal int Start { get; }

            internal int End { get; }

            /// <summary>The receiver of the reads: <c>_f</c>, <c>this._f</c> or <c>_f!</c>.</summary>
            internal ExpressionSyntax Lease { get; }

            internal string Scope { get; }
        }

        /// <summary>An expression body that becomes <c>{ using (var scope = lease.Enter()) { return expr; } }</c>.</summary>
        private sealed class ArrowScope
        {
            internal ArrowScope(ArrowExpressionClauseSyntax arrow, SyntaxNode owner, bool returns, ExpressionSyntax lease, string scope)
            {
                Arrow = arrow;
                Owner = owner;
                Returns = returns;
                Lease = lease;
                Scope = scope;
            }

            internal ArrowExpressionClauseSyntax Arrow { get; }

            /// <summary>The member, accessor or local function that owns the arrow.</summary>
            internal SyntaxNode Owner { get; }

            internal bool Returns { get; }

            internal ExpressionSyntax Lease { get; }

            internal string Scope { get; }
        }

        private sealed class Edits
        {
            internal Dictionary<MemberAccessExpressionSyntax, string> Scoped { get; } = new();

            internal Dictionary<BlockSyntax, List<Range>> Ranges { get; } = new();

            internal Dictionary<SyntaxNode, ArrowScope> Arrows { get; } = new();

            /// <summary>Statements (of a block) that read the address across a suspension: they get the comment.</summary>
            internal HashSet<StatementSyntax> Commented { get; } = new();

            internal SyntaxNode Apply(SyntaxNode root)
            {
                var nodes = new List<SyntaxNode>();
                nodes.AddRange(Scoped.Keys);
                nodes.AddRange(Ranges.Keys);
                nodes.AddRange(Arrows.Keys);
                nodes.AddRange(Commented.Where(s => s.Parent is not BlockSyntax block || !Ranges.ContainsKey(block)));
                return root.ReplaceNodes(nodes.Distinct(), (original, current) =>
                {
                    if (original is MemberAccessExpressionSyntax read && Scoped.TryGetValue(read, out var scope))
                    {
                        return MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, IdentifierName(scope), IdentifierName("Address")).WithTriviaFrom(current);
                    }

                    if (original is BlockSyntax block && Ranges.TryGetValue(block, out var ranges))
                    {
                        return WrapRanges(block, (BlockSyntax)current, ranges);
                    }

                    if (Arrows.TryGetValue(original, out var arrow))
                    {
                        return WrapArrow(current, arrow);
                    }

                    return original is StatementSyntax && Commented.Contains((StatementSyntax)original) ? WithComment((StatementSyntax)current) : current;
                });
            }

            private SyntaxNode WrapRanges(BlockSyntax original, BlockSyntax current, List<Range> ranges)
            {
                var statements = new List<StatementSyntax>();
                var index = 0;
                foreach (var range in ranges.OrderBy(r => r.Start))
                {
                    for (; index < range.Start; index++)
                    {
                        statements.Add(Comment(original, current, index));
                    }

                    var covered = new List<StatementSyntax>();
                    for (; index <= range.End; index++)
                    {
                        covered.Add(Comment(original, current, index));
                    }

                    // The first statement's comments go above the using that now holds it; indentation is the formatter's.
                    var first = covered[0];
                    covered[0] = first.WithLeadingTrivia(ElasticMarker);
                    statements.Add(Using(range.Lease, range.Scope, covered)
                        .WithLeadingTrivia(first.GetLeadingTrivia())
                        .WithAdditionalAnnotations(Formatter.Annotation));
                }

                for (; index < current.Statements.Count; index++)
                {
                    statements.Add(Comment(original, current, index));
                }

                return current.WithStatements(List(statements));
            }

            private StatementSyntax Comment(BlockSyntax original, BlockSyntax current, int index)
                => Commented.Contains(original.Statements[index]) ? WithComment(current.Statements[index]) : current.Statements[index];

            private static SyntaxNode WrapArrow(SyntaxNode current, ArrowScope arrow)
            {
                var arrowNow = current.DescendantNodesAndSelf().OfType<ArrowExpressionClauseSyntax>().FirstOrDefault(a => a.Parent == current);
                if (arrowNow is null)
                {
                    return current;
                }

                StatementSyntax inner = arrow.Returns ? ReturnStatement(arrowNow.Expression.WithoutTrivia()) : ExpressionStatement(arrowNow.Expression.WithoutTrivia());
                var body = Block(Using(arrow.Lease, arrow.Scope, new List<StatementSyntax> { inner })).WithAdditionalAnnotations(Formatter.Annotation);
                SyntaxNode result = current switch
                {
                    BaseMethodDeclarationSyntax method => method.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                    LocalFunctionStatementSyntax function => function.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                    AccessorDeclarationSyntax accessor => accessor.WithExpressionBody(null).WithSemicolonToken(default).WithBody(body),
                    PropertyDeclarationSyntax property => property.WithExpressionBody(null).WithSemicolonToken(default)
                        .WithAccessorList(AccessorList(SingletonList(AccessorDeclaration(SyntaxKind.GetAccessorDeclaration, body)))),
                    IndexerDeclarationSyntax indexer => indexer.WithExpressionBody(null).WithSemicolonToken(default)
                        .WithAccessorList(AccessorList(SingletonList(AccessorDeclaration(SyntaxKind.GetAccessorDeclaration, body)))),
                    LambdaExpressionSyntax lambda => lambda.WithExpressionBody(null).WithBlock(body),
                    _ => current,
                };
                return result.WithTrailingTrivia(current.GetTrailingTrivia()).WithAdditionalAnnotations(Formatter.Annotation);
            }

            private static StatementSyntax Using(ExpressionSyntax lease, string scope, List<StatementSyntax> statements)
                => UsingStatement(
                    VariableDeclaration(
                        IdentifierName("var"),
                        SingletonSeparatedList(VariableDeclarator(Identifier(scope)).WithInitializer(EqualsValueClause(
                            InvocationExpression(MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression, lease.WithoutTrivia(), IdentifierName("Enter"))))))),
                    null,
                    Block(statements));

            private static StatementSyntax WithComment(StatementSyntax statement)
            {
                var leading = statement.GetLeadingTrivia();
                if (leading.Any(t => t.ToString() == AcrossAwaitComment))
                {
                    return statement;
                }

                var indentation = leading.LastOrDefault(t => t.IsKind(SyntaxKind.WhitespaceTrivia));
                var added = new List<SyntaxTrivia> { SyntaxFactory.Comment(AcrossAwaitComment), ElasticCarriageReturnLineFeed };
                if (indentation.IsKind(SyntaxKind.WhitespaceTrivia))
                {
                    added.Add(indentation);
                }

                return statement.WithLeadingTrivia(leading.AddRange(added)).WithAdditionalAnnotations(Formatter.Annotation);
            }
        }

        private sealed class Planner
        {
            private readonly SemanticModel _model;
            private readonly PinApis _apis;
            private readonly PinFlowOptions _options;
            private readonly CancellationToken _cancellationToken;
            private readonly Edits _edits = new();
            private readonly HashSet<string> _namesTaken = new();

            internal Planner(SemanticModel model, PinApis apis, Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider? options, CancellationToken cancellationToken)
            {
                _model = model;
                _apis = apis;
                _options = options is null ? PinFlowOptions.Default : new PinFlowOptions.Provider(options).For(model.SyntaxTree);
                _cancellationToken = cancellationToken;
            }

            internal Edits? Plan(List<MemberAccessExpressionSyntax> reads)
            {
                // Reads per function; each function is planned on its own.
                var byFunction = new Dictionary<SyntaxNode, List<(MemberAccessExpressionSyntax Read, ImmutableHolders Holders)>>();
                foreach (var read in reads)
                {
                    if (FunctionOf(read) is not { } function
                        || _model.GetOperation(read, _cancellationToken) is not IPropertyReferenceOperation { Property.Name: "Address" } operation)
                    {
                        continue;
                    }

                    IOperation top = operation;
                    while (top.Parent is not null)
                    {
                        top = top.Parent;
                    }

                    var flow = new MethodFlow(new[] { top }, _ => null, _cancellationToken);
                    var (sinks, holders) = PinFlow.FollowAddress(operation, flow, _apis, _options);
                    if (!sinks.IsEmpty)
                    {
                        // Returned, stored, retained: a scope cannot cover it, and the revocation callback answers for it.
                        continue;
                    }

                    if (!byFunction.TryGetValue(function, out var list))
                    {
                        byFunction.Add(function, list = new());
                    }

                    list.Add((read, new ImmutableHolders(holders)));
                }

                foreach (var entry in byFunction)
                {
                    PlanFunction(entry.Key, entry.Value);
                }

                return _edits;
            }

            private void PlanFunction(SyntaxNode function, List<(MemberAccessExpressionSyntax Read, ImmutableHolders Holders)> reads)
            {
                if (PinFixes.LanguageVersionOf(function) < LanguageVersion.CSharp8)
                {
                    // A scope is a ref struct: `using` disposes one only from C# 8 on (pattern-based Dispose).
                    return;
                }

                var symbol = function is AnonymousFunctionExpressionSyntax
                    ? _model.GetSymbolInfo(function, _cancellationToken).Symbol
                    : _model.GetDeclaredSymbol(function, _cancellationToken);
                var suspends = symbol is IMethodSymbol { IsAsync: true } || function.DescendantNodes(n => n == function || !IsFunction(n)).OfType<YieldStatementSyntax>().Any();
                if (suspends && PinFixes.LanguageVersionOf(function) < (LanguageVersion)1300)
                {
                    // Before C# 13 a ref struct local cannot appear in an async method or iterator at all.
                    foreach (var (read, _) in reads)
                    {
                        if (AnchorOf(read, function) is { } anchor && anchor.Parent is BlockSyntax)
                        {
                            _edits.Commented.Add(anchor);
                        }
                    }

                    return;
                }

                var taken = new HashSet<string>(function.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText));
                if (BodyArrow(function) is { } arrow)
                {
                    if (ContainsSuspension(arrow) || arrow.Expression is RefExpressionSyntax)
                    {
                        return;
                    }

                    var returns = Returns(function);
                    if (returns is null || (returns == false && !IsStatementExpression(arrow.Expression)))
                    {
                        return;
                    }

                    var name = ScopeName(taken, arrow.SpanStart);
                    var owner = arrow.Parent!;
                    _edits.Arrows[owner] = new ArrowScope(arrow, owner, returns.Value, reads[0].Read.Expression, name);
                    foreach (var (read, _) in reads)
                    {
                        _edits.Scoped[read] = name;
                    }

                    return;
                }

                // Outer blocks first: a read inside another read's scope uses that scope.
                var anchored = reads
                    .Select(r => (r.Read, r.Holders, Anchor: AnchorOf(r.Read, function)))
                    .Where(r => r.Anchor?.Parent is BlockSyntax)
                    .GroupBy(r => (BlockSyntax)r.Anchor!.Parent!)
                    .OrderBy(g => g.Key.Ancestors().Count())
                    .ToList();
                var chosen = new List<(BlockSyntax Block, Range Range)>();
                foreach (var group in anchored)
                {
                    var block = group.Key;
                    var pending = new List<(MemberAccessExpressionSyntax Read, ImmutableHolders Holders, StatementSyntax Anchor)>();
                    foreach (var (read, holders, anchor) in group)
                    {
                        var covering = chosen.FirstOrDefault(c => Covers(c.Block, c.Range, read));
                        if (covering.Range is not null)
                        {
                            if (holders.Symbols.All(h => References(function, h).All(r => Covers(covering.Block, covering.Range, r))))
                            {
                                _edits.Scoped[read] = covering.Range.Scope;
                            }

                            continue;
                        }

                        pending.Add((read, holders, anchor!));
                    }

                    foreach (var segment in Segments(block, pending))
                    {
                        var name = ScopeName(taken, block.Statements[segment.Start].SpanStart);
                        var range = new Range(segment.Start, segment.End, segment.Reads[0].Expression, name);
                        chosen.Add((block, range));
                        if (!_edits.Ranges.TryGetValue(block, out var ranges))
                        {
                            _edits.Ranges.Add(block, ranges = new List<Range>());
                        }

                        ranges.Add(range);
                        foreach (var read in segment.Reads)
                        {
                            _edits.Scoped[read] = name;
                        }
                    }
                }
            }

            private sealed class Segment
            {
                internal int Start { get; set; }

                internal int End { get; set; }

                internal List<MemberAccessExpressionSyntax> Reads { get; } = new();
            }

            /// <summary>
            /// The scopes of one block: the reads' statements grouped into runs that no suspending statement splits, each
            /// widened until the locals declared in it (and the locals holding the address) are used only inside it.
            /// </summary>
            private IEnumerable<Segment> Segments(BlockSyntax block, List<(MemberAccessExpressionSyntax Read, ImmutableHolders Holders, StatementSyntax Anchor)> reads)
            {
                var statements = block.Statements;
                var segments = new List<Segment>();
                Segment? current = null;
                foreach (var (read, holders, anchor) in reads.OrderBy(r => r.Anchor.SpanStart))
                {
                    var index = statements.IndexOf(anchor);
                    if (index < 0)
                    {
                        continue;
                    }

                    if (ContainsSuspension(anchor))
                    {
                        _edits.Commented.Add(anchor);
                        continue;
                    }

                    if (current is not null && current.End < index && Enumerable.Range(current.End + 1, index - current.End - 1).Any(i => ContainsSuspension(statements[i])))
                    {
                        current = null;
                    }

                    if (current is null)
                    {
                        current = new Segment { Start = index, End = index };
                        segments.Add(current);
                    }

                    current.End = System.Math.Max(current.End, index);
                    current.Reads.Add(read);
                    foreach (var holder in holders.Symbols)
                    {
                        foreach (var reference in References(block, holder))
                        {
                            var at = IndexIn(block, reference);
                            if (at < 0)
                            {
                                // Held by a local used outside this block: no scope can cover it.
                                current.Reads.Remove(read);
                                break;
                            }

                            current.Start = System.Math.Min(current.Start, at);
                            current.End = System.Math.Max(current.End, at);
                        }
                    }
                }

                // Widening can make two runs overlap: they become one.
                var merged = new List<Segment>();
                foreach (var segment in segments.Where(s => s.Reads.Count > 0))
                {
                    if (!Widen(block, segment))
                    {
                        foreach (var read in segment.Reads)
                        {
                            if (AnchorIn(block, read) is { } anchor)
                            {
                                _edits.Commented.Add(anchor);
                            }
                        }

                        continue;
                    }

                    if (merged.Count > 0 && merged[merged.Count - 1].End >= segment.Start)
                    {
                        var previous = merged[merged.Count - 1];
                        previous.End = System.Math.Max(previous.End, segment.End);
                        previous.Reads.AddRange(segment.Reads);
                        continue;
                    }

                    merged.Add(segment);
                }

                return merged;
            }

            private static StatementSyntax? AnchorIn(BlockSyntax block, SyntaxNode node)
                => IndexIn(block, node) is var index and >= 0 ? block.Statements[index] : null;

            /// <summary>
            /// Widens <paramref name="segment"/> until no local it declares is used after it and no <c>using</c> declaration
            /// in it changes when it disposes; false when that would take it across a suspension or a label.
            /// </summary>
            private bool Widen(BlockSyntax block, Segment segment)
            {
                var statements = block.Statements;
                for (var changed = true; changed;)
                {
                    changed = false;
                    for (var i = segment.Start; i <= segment.End; i++)
                    {
                        var statement = statements[i];
                        if (statement is LabeledStatementSyntax || ContainsSuspension(statement))
                        {
                            return false;
                        }

                        if (statement is LocalDeclarationStatementSyntax { UsingKeyword.RawKind: (int)SyntaxKind.UsingKeyword } && segment.End < statements.Count - 1)
                        {
                            // A using declaration disposes at the end of its block: keep that.
                            segment.End = statements.Count - 1;
                            changed = true;
                            break;
                        }

                        foreach (var declared in Declared(statement))
                        {
                            foreach (var reference in References(block, declared))
                            {
                                var at = IndexIn(block, reference);
                                if (at > segment.End)
                                {
                                    segment.End = at;
                                    changed = true;
                                }
                            }
                        }
                    }
                }

                return true;
            }

            private IEnumerable<ISymbol> Declared(StatementSyntax statement)
            {
                switch (statement)
                {
                    case LocalDeclarationStatementSyntax declaration:
                        foreach (var variable in declaration.Declaration.Variables)
                        {
                            if (_model.GetDeclaredSymbol(variable, _cancellationToken) is { } local)
                            {
                                yield return local;
                            }
                        }

                        break;
                    case LocalFunctionStatementSyntax function:
                        if (_model.GetDeclaredSymbol(function, _cancellationToken) is { } symbol)
                        {
                            yield return symbol;
                        }

                        break;
                    default:
                        // Pattern and out variables of an expression statement leak into the enclosing block.
                        foreach (var designation in statement.DescendantNodes(n => !IsFunction(n) && n is not BlockSyntax).OfType<SingleVariableDesignationSyntax>())
                        {
                            if (_model.GetDeclaredSymbol(designation, _cancellationToken) is ILocalSymbol local)
                            {
                                yield return local;
                            }
                        }

                        break;
                }
            }

            private IEnumerable<SyntaxNode> References(SyntaxNode scope, ISymbol symbol)
                => HandleFieldUses.References(_model, scope, symbol, _cancellationToken);

            /// <summary>The index of the statement of <paramref name="block"/> that holds <paramref name="node"/>, or -1.</summary>
            private static int IndexIn(BlockSyntax block, SyntaxNode node)
            {
                for (var current = node; current is not null && current != block; current = current.Parent)
                {
                    if (current.Parent == block)
                    {
                        return block.Statements.IndexOf((StatementSyntax)current);
                    }
                }

                return -1;
            }

            private static bool Covers(BlockSyntax block, Range range, SyntaxNode node)
            {
                var index = IndexIn(block, node);
                return index >= range.Start && index <= range.End;
            }

            private string ScopeName(HashSet<string> taken, int position)
            {
                var name = "scope";
                for (var i = 2; taken.Contains(name) || _namesTaken.Contains(name) || !_model.LookupSymbols(position, name: name).IsEmpty; i++)
                {
                    name = "scope" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                taken.Add(name);
                return name;
            }

            /// <summary>The nearest statement holding <paramref name="read"/> whose parent is a block, inside the function.</summary>
            private static StatementSyntax? AnchorOf(SyntaxNode read, SyntaxNode function)
            {
                for (var current = read.Parent; current is not null && current != function; current = current.Parent)
                {
                    if (current is StatementSyntax statement && current.Parent is BlockSyntax)
                    {
                        return statement;
                    }

                    if (IsFunction(current))
                    {
                        return null;
                    }
                }

                return null;
            }

            /// <summary><c>await</c> or <c>yield</c> in the statement itself (not in a lambda or local function inside it).</summary>
            private static bool ContainsSuspension(SyntaxNode node)
                => node.DescendantNodesAndTokensAndSelf(n => n == node || !IsFunction(n))
                    .Any(n => n.IsKind(SyntaxKind.AwaitKeyword) || n.IsKind(SyntaxKind.YieldKeyword));

            private static bool IsFunction(SyntaxNode node)
                => node is AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax;

            /// <summary>The innermost function that holds <paramref name="node"/>: a lambda, local function, member or accessor with a body.</summary>
            private static SyntaxNode? FunctionOf(SyntaxNode node)
            {
                for (var current = node.Parent; current is not null; current = current.Parent)
                {
                    switch (current)
                    {
                        case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or AccessorDeclarationSyntax:
                        case BaseMethodDeclarationSyntax:
                            return current;
                        case PropertyDeclarationSyntax { ExpressionBody: not null } or IndexerDeclarationSyntax { ExpressionBody: not null }:
                            return current;
                        case MemberDeclarationSyntax:
                            return null;
                    }
                }

                return null;
            }

            private static ArrowExpressionClauseSyntax? BodyArrow(SyntaxNode function)
                => function switch
                {
                    BaseMethodDeclarationSyntax method => method.ExpressionBody,
                    LocalFunctionStatementSyntax local => local.ExpressionBody,
                    AccessorDeclarationSyntax accessor => accessor.ExpressionBody,
                    PropertyDeclarationSyntax property => property.ExpressionBody,
                    IndexerDeclarationSyntax indexer => indexer.ExpressionBody,
                    // An expression-bodied lambda has no arrow clause and keeps its reads unscoped.
                    _ => null,
                };

            /// <summary>True for a member that returns a value, false for void, null when neither fits (ref returns, unknown).</summary>
            private bool? Returns(SyntaxNode function)
            {
                switch (function)
                {
                    case PropertyDeclarationSyntax or IndexerDeclarationSyntax:
                        return true;
                    case AccessorDeclarationSyntax accessor:
                        return accessor.IsKind(SyntaxKind.GetAccessorDeclaration) ? true : accessor.IsKind(SyntaxKind.SetAccessorDeclaration) || accessor.IsKind(SyntaxKind.InitAccessorDeclaration) ? false : null;
                    case ConstructorDeclarationSyntax or DestructorDeclarationSyntax:
                        return false;
                    default:
                        return _model.GetDeclaredSymbol(function, _cancellationToken) is IMethodSymbol method && !method.ReturnsByRef && !method.ReturnsByRefReadonly
                            ? !method.ReturnsVoid
                            : null;
                }
            }

            private static bool IsStatementExpression(ExpressionSyntax expression)
                => expression is InvocationExpressionSyntax or AssignmentExpressionSyntax or BaseObjectCreationExpressionSyntax
                    or PrefixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PreIncrementExpression or (int)SyntaxKind.PreDecrementExpression }
                    or PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.PostIncrementExpression or (int)SyntaxKind.PostDecrementExpression };
        }

        /// <summary>The variables holding an address (copies, derived pointers) that a read flows into.</summary>
        private sealed class ImmutableHolders
        {
            internal ImmutableHolders(System.Collections.Immutable.ImmutableArray<ISymbol> symbols) => Symbols = symbols;

            internal System.Collections.Immutable.ImmutableArray<ISymbol> Symbols { get; }
        }
    }
}
